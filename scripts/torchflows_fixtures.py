"""Export torchflows models for `flows::io::torchflows`, and write the fixtures its tests compare with.

Setup (torch from PyPI; the CPU build is enough):

    python3 -m venv /path/to/venv
    /path/to/venv/bin/pip install torch torchflows==1.2.1 safetensors numpy

Use as a library, to export a trained model for the Rust importer:

    from torchflows_fixtures import export
    export(flow, "model.safetensors")   # flow: torchflows.flows.Flow over a vector preset

`export` writes the flow's `state_dict` in float64 as safetensors, with the layout facts the
state_dict does not hold (each module's class, the permutations, the coupling masks, the
transformer settings, the torch and torchflows versions) in the file's `__metadata__`, one string
per fact, as `bijection.layers.<i>.<fact>`. MADE masks are buffers, so they are in the state_dict.

Run as a script to regenerate the committed fixtures (deterministic for a given torch build):

    /path/to/venv/bin/python scripts/torchflows_fixtures.py [out_dir]   # default tests/fixtures/torchflows

For each model it writes `<name>.safetensors` (the export above) and `<name>.json`: the preset and
its settings, the versions, the layout facts, the inputs `x` (including points far beyond the
spline bound of 50), and torchflows' outputs `log_prob`, `z` and `log_det` (the forward map data
to latent) in float64. The parameters are the preset's own initialization perturbed at random so
that no layer is at the identity; spline conditioners' outputs are scaled up, because torchflows
divides the height and derivative parameters by 1000.
"""

import json
import sys
from pathlib import Path

import torch
import torchflows
from safetensors.torch import save_file
from torchflows.flows import Flow
from torchflows.bijections.finite.autoregressive.architectures import (
    IAF,
    MAF,
    NICE,
    CouplingRQNSF,
    MaskedAutoregressiveRQNSF,
    RealNVP,
)
from torchflows.bijections.finite.autoregressive.transformers.linear.affine import Affine
from torchflows.bijections.finite.autoregressive.transformers.spline.rational_quadratic import (
    RationalQuadratic,
)


def _indices(mask):
    return " ".join(str(i) for i in torch.nonzero(mask.flatten()).flatten().tolist())


def layout(flow):
    """The facts the importer checks that the state_dict does not hold, as strings by key."""
    facts = {
        "format": "torchflows",
        "torchflows_version": torchflows.__version__,
        "torch_version": torch.__version__,
        "base.class": type(flow.base).__name__,
    }
    for i, layer in enumerate(flow.bijection.layers):
        key = f"bijection.layers.{i}"
        facts[f"{key}.class"] = type(layer).__name__
        if hasattr(layer, "forward_permutation"):
            facts[f"{key}.forward_permutation"] = " ".join(
                str(int(v)) for v in layer.forward_permutation.tolist()
            )
        if hasattr(layer, "coupling"):
            facts[f"{key}.source"] = _indices(layer.coupling.source_mask)
            facts[f"{key}.target"] = _indices(layer.coupling.target_mask)
        transformer = getattr(layer, "transformer", None)
        if transformer is not None:
            facts[f"{key}.transformer"] = type(transformer).__name__
            if isinstance(transformer, Affine):
                facts[f"{key}.min_scale"] = repr(float(transformer.m))
            if isinstance(transformer, RationalQuadratic):
                facts[f"{key}.n_bins"] = str(int(transformer.n_bins))
                facts[f"{key}.boundary"] = repr(float(transformer.max_input))
                facts[f"{key}.min_bin_size"] = repr(float(transformer.min_bin_size))
                facts[f"{key}.min_delta"] = repr(float(transformer.min_delta))
    return facts


def export(flow, path):
    """Writes `flow`'s state_dict (float64) and its layout facts as one safetensors file."""
    tensors = {
        name: value.detach().to(torch.float64).contiguous().clone()
        for name, value in flow.state_dict().items()
    }
    save_file(tensors, str(path), metadata=layout(flow))


# name, preset, event size, keyword arguments (torchflows defaults where empty)
MODELS = [
    ("nice_2", NICE, 2, {}),
    ("nice_5", NICE, 5, {}),
    ("realnvp_2", RealNVP, 2, {}),
    ("realnvp_5", RealNVP, 5, {}),
    ("realnvp_5_layers3_hidden7", RealNVP, 5, {"n_layers": 3, "conditioner_kwargs": {"n_hidden": 7}}),
    ("maf_2", MAF, 2, {}),
    ("maf_5", MAF, 5, {}),
    ("maf_10", MAF, 10, {}),  # MADE width 4 < D - 1 = 9: x_5..x_9 condition nothing
    ("maf_5_layers3_hidden3_deep", MAF, 5, {"n_layers": 3, "conditioner_kwargs": {"n_hidden": 3, "n_layers": 3}}),
    ("iaf_2", IAF, 2, {}),
    ("iaf_5", IAF, 5, {}),
    ("coupling_rqnsf_2", CouplingRQNSF, 2, {}),
    ("coupling_rqnsf_5", CouplingRQNSF, 5, {}),
    ("coupling_rqnsf_5_layers3_hidden6", CouplingRQNSF, 5, {"n_layers": 3, "conditioner_kwargs": {"n_hidden": 6}}),
    ("ma_rqnsf_2", MaskedAutoregressiveRQNSF, 2, {}),
    ("ma_rqnsf_5", MaskedAutoregressiveRQNSF, 5, {}),
    # MADE widths above D - 1: torchflows' hidden degrees repeat (1 2 1 2, ...), ours are sorted.
    ("maf_3", MAF, 3, {}),
    ("iaf_3", IAF, 3, {}),
    ("ma_rqnsf_3", MaskedAutoregressiveRQNSF, 3, {}),
    ("maf_5_hidden10", MAF, 5, {"conditioner_kwargs": {"n_hidden": 10}}),
]


def _jsonable(kwargs):
    return json.loads(json.dumps(kwargs))


def perturb(flow, generator):
    """Moves every parameter away from its initialization (ActNorm and ElementwiseAffine values
    included); spline conditioners' height and derivative outputs are scaled by 300."""
    with torch.no_grad():
        for name, tensor in flow.state_dict().items():
            if name.endswith(".mask") or "device_buffer" in name or name.startswith("base."):
                continue
            tensor.add_(0.3 * torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype))
        for layer in flow.bijection.layers:
            transformer = getattr(layer, "transformer", None)
            if isinstance(transformer, RationalQuadratic) and hasattr(layer, "conditioner_transform"):
                last = [m for m in layer.conditioner_transform.sequential if hasattr(m, "weight")][-1]
                k = transformer.n_bins
                per_element = 3 * k - 1
                rows = torch.arange(last.weight.shape[0]) % per_element
                scale = torch.where(rows < k, 1.0, 300.0).to(torch.float64)
                last.weight.mul_(scale[:, None])
                last.bias.mul_(scale)
        for layer in flow.bijection.layers:
            if hasattr(layer, "first_training_batch_pass"):
                layer.first_training_batch_pass = False  # ActNorm: never initialize from data
    flow.eval()


def inputs(d, generator):
    x = 1.5 * torch.randn(12, d, generator=generator, dtype=torch.float64)
    tails = torch.tensor([60.0, -75.0, 200.0, -1e3, 5e3], dtype=torch.float64)
    far = torch.randn(len(tails), d, generator=generator, dtype=torch.float64)
    far[:, 0] = tails
    far[2, :] = 120.0  # every element beyond the bound
    far[4, -1] = -400.0
    return torch.cat([x, far])


def write(out, name, preset, d, kwargs, seed):
    torch.manual_seed(seed)
    flow = Flow(preset(d, **kwargs)).to(torch.float64)
    generator = torch.Generator().manual_seed(seed)
    perturb(flow, generator)
    x = inputs(d, generator)
    with torch.no_grad():
        z, log_det = flow.bijection.forward(x)
        log_prob = flow.log_prob(x)
    export(flow, out / f"{name}.safetensors")
    record = {
        "name": name,
        "preset": preset.__name__,
        "event_size": d,
        "kwargs": _jsonable(kwargs),
        "seed": seed,
        "torch_version": torch.__version__,
        "torchflows_version": torchflows.__version__,
        "layout": layout(flow),
        "x": x.tolist(),
        "log_prob": log_prob.tolist(),
        "z": z.tolist(),
        "log_det": log_det.tolist(),
    }
    (out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/fixtures/torchflows")
    out.mkdir(parents=True, exist_ok=True)
    for seed, (name, preset, d, kwargs) in enumerate(MODELS):
        write(out, name, preset, d, kwargs, seed)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
