"""Model engine without Qt or catalog: archives, isolated inspection, GC and signatures.

``infer_signature`` and ``ModelSignature`` are here for MLflow's ``mlflow.models`` names; they
live in :mod:`mlops_desktop.tracking.model_signature` (standard library only), so importing
this package stays light.
"""

from mlops_desktop.tracking.model_signature import ModelSignature, infer_signature

__all__ = ["ModelSignature", "infer_signature"]
