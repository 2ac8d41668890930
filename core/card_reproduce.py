"""The card's Reproduce section: the command lines that rebuild the dataset and the long lists they read."""

from __future__ import annotations

import shlex

from core.card_data import CardData, GenerationBatch
from core.card_text import md_code

LIST_LINES = 1000


def _generate_command(batch: GenerationBatch) -> str:
    """Return the `thresher generate` line that reruns a batch with the same settings and seed."""
    spec = batch.spec
    args = ["thresher", "generate", "--recipe", str(spec.get("recipe", "")), "--n", str(spec.get("n", ""))]
    for key, flag in (("endpoint", "--endpoint"), ("model", "--model"), ("temperature", "--temperature"),
                      ("top_p", "--top-p"), ("max_tokens", "--max-tokens"), ("domain", "--domain"),
                      ("seed_count", "--seed-count"), ("near_dup_threshold", "--near-dup"),
                      ("budget_usd", "--budget"), ("seed", "--seed")):
        if spec.get(key) not in (None, "", []):
            args += [flag, str(spec[key])]
    if spec.get("operators"):
        args += ["--operators", ",".join(map(str, spec["operators"]))]
    for key, flag in (("topics", "--topic"), ("personas", "--persona")):
        values = [str(v) for v in spec.get(key) or []]
        if len(values) <= 10:
            args += [part for v in values for part in (flag, v)]
        else:
            args += [f"{flag}s-file", _list_file(batch.id, key)]
    if spec.get("api_key_env") not in (None, "", "OPENAI_API_KEY"):
        args += ["--api-key-env", str(spec["api_key_env"])]
    pinned = f"  # recipe hash {spec['recipe_hash']}" if spec.get("recipe_hash") else ""
    return " ".join(shlex.quote(a) for a in args) + pinned


def _list_file(batch_id: int, key: str) -> str:
    """Return the file name a long topic or persona list is given under in the reproduce section."""
    return f"batch{batch_id}-{key}.txt"


def list_files(data: CardData) -> list[str]:
    """Return the long topic and persona lists the generate commands read from files, one block each."""
    blocks = []
    for batch in data.batches:
        for key in ("topics", "personas"):
            values = [str(v) for v in batch.spec.get(key) or []]
            if len(values) > 10:
                shown = values[:LIST_LINES]
                more = f" (the first {LIST_LINES:,} of {len(values):,})" if len(values) > LIST_LINES else ""
                blocks.append(f"`{_list_file(batch.id, key)}`{more}:\n\n" + md_code("\n".join(shown), "text"))
    return blocks


def reproduce_commands(data: CardData) -> list[str]:
    """Return the command lines that rebuild this dataset from the same inputs, in order."""
    lines = [_generate_command(b) for b in data.batches]
    scorers = sorted({s.name for s in data.scorers if s.threshold_source != "verdict"})
    if scorers:
        lines.append("thresher filter " + " ".join(f"--scorer {shlex.quote(name)}" for name in scorers))
    reviewed = data.by_status.get("accepted", 0) + data.by_status.get("rejected", 0)
    if reviewed:
        lines.append(f"# then the review: {reviewed:,} items accepted or rejected, kept in the store's decision log")
    for run in [r for r in data.dedup if r.removed] or data.dedup[-1:]:
        line = f"thresher dedup --method {shlex.quote(run.method)} --field {shlex.quote(run.field)} " \
               f"--threshold {run.threshold:g}"
        if run.method == "lexical" and "ngram" in run.params:
            line += f" --ngram {run.params['ngram']} --jaccard {run.params.get('jaccard')}"
        if "static" in str(run.params.get("model", "")):
            line += " --fast"
        lines.append(line + (" --reject" if run.removed else ""))
    if data.contaminated:
        lines.append("thresher decontaminate")
    if data.thresholds:
        chosen = " ".join(f"--threshold {shlex.quote(f'{k}={v:g}')}" for k, v in sorted(data.thresholds.items()))
        lines.append(f"thresher calibrate {chosen} --apply")
    if data.mix and data.mix.get("command"):
        lines.append(str(data.mix["command"]))
    return lines
