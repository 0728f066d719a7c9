"""Install an authors' released TANet/EAT file as a model of the app, with no torch; uninstall any user model.

``photocull-cli models --install FILE --preset tanet-ava`` (also ``tanet-tad66k``,
``eat-ava``, ``eat-tad66k``; the preset may be left out for the authors' own file
names) and Settings → Models → "Add a research model file…" both call
:func:`install_research_model`:

1. the file is read by :mod:`engine.inference.checkpoint_reader` (a restricted
   unpickler: tensors and ordered dicts only, nothing of the file's is run);
2. its tensors must be the template's, name for name and shape for shape
   (:func:`engine.inference.template_fill.check_weights`);
3. the weights file the template graph points to, and the graph stamped with that
   file's sha256 (so other weights make another model, scored again), are written to a scratch
   folder inside the user's models folder, probe-run on a grey image (outputs of
   the promised shape, all finite), and checked as any installed model is;
4. only then do ``NAME.weights``, ``NAME.onnx`` and, last, ``NAME.json`` move into
   place. A refusal at any step leaves the models folder as it was.

The manifest names the source file and its sha256, the authors' licence, and the
authors' published numbers, marked "reported by the authors, not re-measured here".
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.config import paths
from engine.inference.checkpoint_reader import CheckpointReadError, read_state_dict
from engine.inference.contract import CONTRACT_VERSION, ContractError, OutputSpec, score_from_output, sha256_of
from engine.inference.registry import InstalledModel, inspect_model
from engine.inference.runtime import RuntimeSettings, create_session
from engine.inference.template_fill import (
    ResearchTemplate,
    TemplateMismatch,
    available_templates,
    load_template,
    stamped_graph,
    write_weights,
)

REPORTED_NOTE = "reported by the authors, not re-measured here"
INSTALL_COMMAND = "photocull-cli models --install"


class InstallError(ValueError):
    """A research model file that was not installed, with the reason in words."""


@dataclass(frozen=True)
class InstallResult:
    model: InstalledModel
    replaced: bool
    probe_score: float


def preset_for_file(source: Path, templates: Path | None = None) -> str | None:
    """The preset whose template names ``source``'s file name as the authors' release, if any."""
    for preset in available_templates(templates):
        if load_template(preset, templates).release_file == source.name:
            return preset
    return None


def install_research_model(
    source: str | os.PathLike[str],
    preset: str | None = None,
    *,
    models_dir: Path | None = None,
    templates: Path | None = None,
) -> InstallResult:
    """Read, check, fill, probe and install; raise :class:`InstallError` (nothing installed) otherwise."""
    source = Path(source)
    preset = preset or preset_for_file(source, templates)
    if preset is None:
        raise InstallError(f"{source.name}: say which model it is (--preset {' | '.join(available_templates(templates))})")
    try:
        template = load_template(preset, templates)
        state = read_state_dict(source)
        return _install(source, template, state, models_dir or paths.user_models_dir())
    except (CheckpointReadError, TemplateMismatch, ContractError, InstallError, OSError) as exc:
        raise InstallError(f"{source.name} was not installed: {exc}") from exc


def uninstall_model(name: str, *, models_dir: Path | None = None) -> list[Path]:
    """Remove a user-installed model (manifest, graph unless another manifest uses it, weights file)."""
    folder = models_dir or paths.user_models_dir()
    manifest = folder / f"{name}.json"
    if not manifest.is_file():
        raise InstallError(f"no user-installed model named {name!r} in {folder} (shipped models cannot be removed)")
    try:
        raw = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raw = {}
    doomed = [manifest]
    onnx_file = raw.get("onnx_file") if isinstance(raw.get("onnx_file"), str) else f"{name}.onnx"
    if not _named_by_other_manifests(folder, onnx_file, manifest):
        doomed.append(folder / Path(onnx_file).name)
    weights = raw.get("provenance", {}).get("weights_file") if isinstance(raw.get("provenance"), dict) else None
    if isinstance(weights, str):
        doomed.append(folder / Path(weights).name)
    removed = [p for p in doomed if p.is_file()]
    for path in removed:  # the manifest first: a half-removed model is an orphan, never a broken model
        path.unlink()
    return removed


def _install(source: Path, template: ResearchTemplate, state: dict[str, np.ndarray], folder: Path) -> InstallResult:
    name = template.preset
    replaced = (folder / f"{name}.json").exists()
    with tempfile.TemporaryDirectory(dir=folder, prefix=".installing-") as scratch_name:
        scratch = Path(scratch_name)
        onnx_path = scratch / f"{name}.onnx"
        weights_digest = sha256_of(write_weights(template, state, scratch / template.weights_file))
        onnx_path.write_bytes(stamped_graph(template, {
            "photocull.source_file": source.name, "photocull.weights_sha256": weights_digest}))
        probe = _probe(onnx_path, template)
        manifest_path = scratch / f"{name}.json"
        manifest_path.write_text(json.dumps(_manifest(source, template, onnx_path, weights_digest, probe), indent=2,
                                            sort_keys=True) + "\n", encoding="utf-8")
        inspect_model(manifest_path)
        for file_name in (template.weights_file, onnx_path.name, manifest_path.name):
            os.replace(scratch / file_name, folder / file_name)
    return InstallResult(inspect_model(folder / f"{name}.json"), replaced, probe)


def _probe(onnx_path: Path, template: ResearchTemplate) -> float:
    """Run the filled graph on a mid-grey image: the output must have the promised shape and be finite."""
    spec, output = template.manifest["input"], OutputSpec(**template.manifest["output"])
    grey = np.zeros((1, 3, spec["height"], spec["width"]), dtype=np.float32)
    try:
        result = create_session(onnx_path, RuntimeSettings(device="cpu")).run(grey)[0]
    except Exception as exc:  # ORT raises several unrelated types for a graph it cannot run
        raise InstallError(f"the filled model does not run ({type(exc).__name__}: {str(exc)[:200]})") from exc
    expected_width = 10 if output.kind == "distribution10" else 1
    if result.shape[0] != 1 or int(np.prod(result.shape[1:])) != expected_width or not np.isfinite(result).all():
        raise InstallError(f"the filled model gives an unusable output (shape {result.shape}, "
                           f"finite: {bool(np.isfinite(result).all())})")
    return float(score_from_output(result.reshape(1, -1), output)[0])


def _manifest(source: Path, template: ResearchTemplate, onnx_path: Path, weights_digest: str,
              probe: float) -> dict[str, Any]:
    digest = sha256_of(source)
    reported = template.reported.get(source.name, [])
    fields = template.manifest
    return {
        "contract_version": CONTRACT_VERSION,
        "name": template.preset,
        "architecture": fields["architecture"],
        "task": fields["task"],
        "input": fields["input"],
        "output": fields["output"],
        "onnx_file": onnx_path.name,
        "onnx_sha256": sha256_of(onnx_path),
        "opset": fields["opset"],
        "training_data": fields["training_data"],
        "licence": template.licence,
        "weight_sources": [{"file": source.name, "sha256": digest, "licence": template.licence}],
        "metrics": [{**m, "notes": REPORTED_NOTE} for m in reported],
        "description": f"{template.title}, the authors' weights from {source.name}. {fields['description']}",
        "provenance": {
            "command": INSTALL_COMMAND,
            "installed_from": source.name,
            "source_sha256": digest,
            "template": template.json_path.name,
            "template_sha256": sha256_of(template.onnx_path),
            "weights_file": template.weights_file,
            "weights_sha256": weights_digest,
            "probe_score_on_grey": round(probe, 6),
            "metrics_note": REPORTED_NOTE if reported else
            f"the authors publish no numbers for a file named {source.name}; none are listed",
        },
    }


def _named_by_other_manifests(folder: Path, onnx_file: str, own: Path) -> bool:
    for other in folder.glob("*.json"):
        if other == own:
            continue
        try:
            if json.loads(other.read_text(encoding="utf-8")).get("onnx_file") == onnx_file:
                return True
        except (OSError, json.JSONDecodeError, AttributeError):
            continue
    return False


def add_arguments(parser: Any) -> None:
    """The ``models`` command's install/uninstall flags."""
    parser.add_argument("--install", type=Path, metavar="FILE",
                        help="install an authors' released TANet/EAT weight file (.pth) as it was downloaded")
    parser.add_argument("--preset", choices=available_templates() or None,
                        help="which model FILE is (optional for the authors' own file names)")
    parser.add_argument("--uninstall", metavar="NAME", help="remove a model you installed (see the list's names)")


def requested(args: Any) -> bool:
    return bool(getattr(args, "install", None) or getattr(args, "uninstall", None))


def run(args: Any) -> int:
    """Install or uninstall, print one sentence; exit 0, or 1 with the reason on stderr (nothing changed)."""
    import sys

    try:
        if args.uninstall:
            removed = uninstall_model(args.uninstall)
            print(f"Removed {args.uninstall} ({', '.join(p.name for p in removed)}).")
            return 0
        result = install_research_model(args.install, args.preset)
    except InstallError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(describe_install(result))
    print(f"Uninstall with: photocull-cli models --uninstall {result.model.name}")
    return 0


def describe_install(result: InstallResult) -> str:
    """What was installed, where, and what the photo list is now sorted by, in a photographer's words."""
    from engine.inference import registry

    manifest = result.model.manifest
    verb = "Replaced" if result.replaced else "Installed"
    sort = registry.discover().sort_score().message
    return f"{verb} {manifest.name} from {manifest.weight_sources[0].file} in {result.model.onnx_path.parent}.\n{sort}"
