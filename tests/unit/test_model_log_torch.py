"""PyTorch model folders: state_dict (weights_only), TorchScript, registration, inspect, load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlops_desktop
import mlops_desktop.pytorch as mlops_pytorch
from mlops_desktop.cli.main import main
from mlops_desktop.core.errors import ModelError
from mlops_desktop.models.inspect import inspect_model
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.model_folder import ModelFolderError
from mlops_desktop.tracking.model_load import _build

torch = pytest.importorskip("torch")


class Net(torch.nn.Module):  # type: ignore[misc,name-defined]
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 8)
        self.fc2 = torch.nn.Linear(8, 2)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.fc2(torch.relu(self.fc1(x)))


def test_pytorch_round_trip(temp_home: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = Net()
    x = torch.rand(5, 4)
    with mlops_desktop.start_run(experiment="torch") as run:
        info = mlops_pytorch.log_model(
            net, name="net", input_example=x, registered_model_name="mlp"
        )
        scripted = mlops_pytorch.log_model(net, "scripted", export=True, signature=False)
    assert info.flavor == "pytorch"
    assert info.signature is not None
    assert info.signature.inputs == [{"type": "float", "shape": [-1, 4]}]
    assert info.signature.outputs == [{"type": "float", "shape": [-1, 2]}]
    assert "model.pt" in scripted.files and "state_dict.pt" in scripted.files
    with Services.open(temp_home) as services:
        services.experiments.ingest()
        version = services.models.get("mlp")
        inspected = services.models.inspect("mlp", allow_unsandboxed=True)
    assert version.run_id == run.id
    assert inspected.type == "state_dict" and inspected.flavor == "pytorch"
    assert inspected.params["fc1.weight"] == "float32 [8, 4]"
    with pytest.raises(ModelFolderError, match="pass model=YourNet"):
        _build("no_such_module_here.Net")  # a state_dict alone needs the module's class
    filled = mlops_pytorch.load_model("models:/mlp/1", model=Net())
    program = mlops_pytorch.load_model(f"runs:/{run.id}/scripted")
    with torch.no_grad():
        assert torch.equal(filled(x), net(x))
        assert torch.allclose(program(x), net(x))


def test_bare_pt_files_are_read_as_weights_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    net = Net()
    torch.save(net.state_dict(), tmp_path / "weights.pt")
    torch.save(net, tmp_path / "whole.pt")  # pickles the module: refused, never unpickled
    assert main(["models", "inspect", "--no-sandbox", "--json", str(tmp_path / "weights.pt")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["type"] == "state_dict" and doc["params"]["fc2.bias"] == "float32 [2]"
    assert "4 tensors, 58 values (float32)" in doc["summary"]
    with pytest.raises(ModelError, match="holds pickled Python objects, not only tensors"):
        inspect_model(tmp_path / "whole.pt", allow_unsandboxed=True)
