"""MLflow's classic examples run with only their import changed to ``import mlops_desktop as
mlflow`` (and their data read from a local file: no network), and every value lands.

The scripts are written from the shape of MLflow's ``examples/sklearn_elasticnet_wine/
train.py``, ``examples/sklearn_elasticnet_diabetes/linux/train_diabetes.py`` and the tracking
quickstart; they run as subprocesses, as a user runs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mlops_desktop.services.bundle import Services

WINE_TRAIN = """
import logging
import sys
import warnings
from urllib.parse import urlparse

import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

import mlops_desktop as mlflow

logging.basicConfig(level=logging.WARN)
logger = logging.getLogger(__name__)


def eval_metrics(actual, pred):
    rmse = np.sqrt(mean_squared_error(actual, pred))
    mae = mean_absolute_error(actual, pred)
    r2 = r2_score(actual, pred)
    return rmse, mae, r2


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    np.random.seed(40)

    # Read the wine-quality csv file from the URL
    csv_url = "{csv}"
    try:
        data = pd.read_csv(csv_url, sep=";")
    except Exception as e:
        logger.exception(
            "Unable to download training & test CSV, check your internet connection. Error: %s", e
        )

    # Split the data into training and test sets. (0.75, 0.25) split.
    train, test = train_test_split(data)

    # The predicted column is "quality" which is a scalar from [3, 9]
    train_x = train.drop(["quality"], axis=1)
    test_x = test.drop(["quality"], axis=1)
    train_y = train[["quality"]]
    test_y = test[["quality"]]

    alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    l1_ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5

    with mlflow.start_run():
        lr = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=42)
        lr.fit(train_x, train_y)

        predicted_qualities = lr.predict(test_x)

        (rmse, mae, r2) = eval_metrics(test_y, predicted_qualities)

        print(f"Elasticnet model (alpha={{alpha:f}}, l1_ratio={{l1_ratio:f}}):")
        print(f"  RMSE: {{rmse}}")
        print(f"  MAE: {{mae}}")
        print(f"  R2: {{r2}}")

        mlflow.log_param("alpha", alpha)
        mlflow.log_param("l1_ratio", l1_ratio)
        mlflow.log_metric("rmse", rmse)
        mlflow.log_metric("r2", r2)
        mlflow.log_metric("mae", mae)

        predictions = lr.predict(train_x)
        signature = mlflow.models.infer_signature(train_x, predictions)

        tracking_url_type_store = urlparse(mlflow.get_tracking_uri()).scheme

        # Model registry does not work with file store
        if tracking_url_type_store != "file":
            # Register the model
            # There are other ways to use the Model Registry, which depends on the use case,
            # please refer to the doc for more information:
            # https://mlflow.org/docs/latest/model-registry.html#api-workflow
            mlflow.sklearn.log_model(
                lr, "model", registered_model_name="ElasticnetWineModel", signature=signature
            )
        else:
            mlflow.sklearn.log_model(lr, "model", signature=signature)
"""

DIABETES_TRAIN = """
import os
import warnings
import sys

import pandas as pd
import numpy as np
from itertools import cycle
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.metrics import mean_squared_error, mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.linear_model import ElasticNet
from sklearn.linear_model import lasso_path, enet_path
from sklearn import datasets

# Import mlflow
import mlops_desktop as mlflow

# Load Diabetes datasets
diabetes = datasets.load_diabetes()
X = diabetes.data
y = diabetes.target

# Create pandas DataFrame for sklearn ElasticNet linear_model
Y = np.array([y]).transpose()
d = np.concatenate((X, Y), axis=1)
cols = diabetes.feature_names + ["progression"]
data = pd.DataFrame(d, columns=cols)


# Evaluate metrics
def eval_metrics(actual, pred):
    rmse = np.sqrt(mean_squared_error(actual, pred))
    mae = mean_absolute_error(actual, pred)
    r2 = r2_score(actual, pred)
    return rmse, mae, r2


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    np.random.seed(40)

    # Split the data into training and test sets. (0.75, 0.25) split.
    train, test = train_test_split(data)

    # The predicted column is "progression" which is a quantitative measure of disease
    # progression one year after baseline
    train_x = train.drop(["progression"], axis=1)
    test_x = test.drop(["progression"], axis=1)
    train_y = train[["progression"]]
    test_y = test[["progression"]]

    alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05
    l1_ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05

    # Run ElasticNet
    lr = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=42)
    lr.fit(train_x, train_y)
    predicted_qualities = lr.predict(test_x)
    (rmse, mae, r2) = eval_metrics(test_y, predicted_qualities)

    # Print out ElasticNet model metrics
    print("Elasticnet model (alpha=%f, l1_ratio=%f):" % (alpha, l1_ratio))
    print("  RMSE: %s" % rmse)
    print("  MAE: %s" % mae)
    print("  R2: %s" % r2)

    # Log mlflow attributes for mlflow UI
    mlflow.log_param("alpha", alpha)
    mlflow.log_param("l1_ratio", l1_ratio)
    mlflow.log_metric("rmse", rmse)
    mlflow.log_metric("r2", r2)
    mlflow.log_metric("mae", mae)
    mlflow.sklearn.log_model(lr, "model")

    # Compute paths
    eps = 5e-3  # the smaller it is the longer is the path

    print("Computing regularization path using the elastic net.")
    alphas_enet, coefs_enet, _ = enet_path(X, y, eps=eps, l1_ratio=l1_ratio)

    # Display results
    fig = plt.figure(1)
    ax = plt.gca()

    colors = cycle(["b", "r", "g", "c", "k"])
    neg_log_alphas_enet = -np.log10(alphas_enet)
    for coef_e, c in zip(coefs_enet, colors):
        l2 = plt.plot(neg_log_alphas_enet, coef_e, linestyle="--", c=c)

    plt.xlabel("-Log(alpha)")
    plt.ylabel("coefficients")
    title = "ElasticNet Path by alpha for l1_ratio = " + str(l1_ratio)
    plt.title(title)
    plt.axis("tight")

    # Save figures
    fig.savefig("ElasticNet-paths.png")

    # Close plot
    plt.close(fig)

    # Log artifacts (output files)
    mlflow.log_artifact("ElasticNet-paths.png")
"""

QUICKSTART_TRAIN = """
from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

import mlops_desktop as mlflow
from mlops_desktop.models import infer_signature

# Load the Iris dataset
X, y = datasets.load_iris(return_X_y=True)

# Split the data into training and test sets
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

# Define the model hyperparameters
params = {
    "solver": "lbfgs",
    "max_iter": 1000,
    "random_state": 8888,
}  # the quickstart's "multi_class" is gone from scikit-learn 1.7

# Train the model
lr = LogisticRegression(**params)
lr.fit(X_train, y_train)

# Predict on the test set
y_pred = lr.predict(X_test)

# Calculate metrics
accuracy = accuracy_score(y_test, y_pred)

# Set our tracking server uri for logging
mlflow.set_tracking_uri(uri="http://127.0.0.1:8080")

# Create a new MLflow Experiment
mlflow.set_experiment("MLflow Quickstart")

# Start an MLflow run
with mlflow.start_run():
    # Log the hyperparameters
    mlflow.log_params(params)

    # Log the loss metric
    mlflow.log_metric("accuracy", accuracy)

    # Set a tag that we can use to remind ourselves what this run was for
    mlflow.set_tag("Training Info", "Basic LR model for iris data")

    # Infer the model signature
    signature = infer_signature(X_train, lr.predict(X_train))

    # Log the model
    model_info = mlflow.sklearn.log_model(
        sk_model=lr,
        artifact_path="iris_model",
        signature=signature,
        input_example=X_train,
        registered_model_name="tracking-quickstart",
    )
print("accuracy", accuracy)
"""


def run_script(source: str, home: Path, cwd: Path, *args: str) -> str:
    script = cwd / "train.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "MLOPS_DESKTOP_HOME": str(home), "MLOPS_DESKTOP_SYSTEM_METRICS": "0"}
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def printed(output: str, label: str) -> float:
    line = next(x for x in output.splitlines() if x.strip().startswith(label))
    return float(line.replace(":", " ").split()[-1])


def write_wine_csv(path: Path, rows: int = 300) -> None:
    """A semicolon CSV shaped like UCI's winequality-red.csv (quoted header, 11 features)."""
    rng = np.random.default_rng(7)
    names = [
        "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
        "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
    ]  # fmt: skip
    x = rng.normal(size=(rows, len(names))) + 5
    quality = np.clip(np.rint(x[:, 10] * 0.6 + rng.normal(scale=0.5, size=rows) + 2), 3, 9)
    lines = [";".join(f'"{n}"' for n in [*names, "quality"])]
    lines += [";".join(f"{v:.3f}" for v in r) + f";{int(q)}" for r, q in zip(x, quality)]
    path.write_text("\n".join(lines) + "\n")


def test_the_elasticnet_wine_example(temp_home: Path, tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    csv = tmp_path / "winequality-red.csv"
    write_wine_csv(csv)
    out = run_script(WINE_TRAIN.format(csv=csv), temp_home, tmp_path, "0.3", "0.7")
    with Services.open(temp_home) as services:
        services.experiments.ingest()
        (run,) = services.experiments.list_runs()
        assert run.status == "finished" and run.experiment == "Default"
        assert run.params == {"alpha": 0.3, "l1_ratio": 0.7}
        assert run.metrics == {
            "rmse": printed(out, "RMSE"),
            "mae": printed(out, "MAE"),
            "r2": printed(out, "R2"),
        }
        names = {a.name for a in services.experiments.get_run(run.id).artifacts}
        assert any(n.startswith("model/") for n in names), names
        assert services.models.list_models() == []  # a file: URI: MLflow registers nothing


def test_the_elasticnet_diabetes_example(temp_home: Path, tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    out = run_script(DIABETES_TRAIN, temp_home, tmp_path, "0.01", "0.5")
    with Services.open(temp_home) as services:
        services.experiments.ingest()
        (run,) = services.experiments.list_runs()  # the implicit run, ended at exit
        assert run.status == "finished"
        assert run.params == {"alpha": 0.01, "l1_ratio": 0.5}
        assert run.metrics == {
            "rmse": printed(out, "RMSE"),
            "mae": printed(out, "MAE"),
            "r2": printed(out, "R2"),
        }
        artifacts = {a.name: a for a in services.experiments.get_run(run.id).artifacts}
        png = Path(artifacts["ElasticNet-paths.png"].path).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert any(n.startswith("model/") for n in artifacts)


def test_the_tracking_quickstart_registers_its_model(temp_home: Path, tmp_path: Path) -> None:
    out = run_script(QUICKSTART_TRAIN, temp_home, tmp_path)
    assert "runs stay in the local home" in out  # the server URI is not reachable from here
    with Services.open(temp_home) as services:
        services.experiments.ingest()
        (run,) = services.experiments.list_runs()
        assert run.experiment == "MLflow Quickstart" and run.status == "finished"
        assert run.params == {
            "solver": "lbfgs",
            "max_iter": 1000,
            "random_state": 8888,
        }
        assert run.metrics == {"accuracy": printed(out, "accuracy")}
        assert run.tags["Training Info"] == "Basic LR model for iris data"
        (version,) = services.models.versions("tracking-quickstart")
        assert version.run_id == run.id
