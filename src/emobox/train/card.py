"""The model card (README.md, with the Hugging Face Hub's YAML header) of an exported head."""

from __future__ import annotations

from typing import Any


def model_card(record: Any, intervals: dict[str, tuple[float, float]]) -> str:
    """Markdown for a stored run (`emobox.runs.RunRecord`) and its metrics' 95 % intervals."""
    k = record.key
    features = dict(k.features)
    upstream = features.get("source") or k.model
    revision = ((features.get("identity") or {}).get("revision") or features.get("commit")
                or "not recorded")
    lines = ["---", "library_name: emobox", "pipeline_tag: audio-classification",
             "tags: [speech-emotion-recognition, emobox]", "---", "",
             f"# {k.model} → emotion head ({k.train_corpus})", "",
             f"A downstream head trained by emobox {record.version} on frozen features of "
             f"`{upstream}` (revision {revision}, layer {k.layer}).", "",
             "## Data and protocol", "",
             f"- corpus: {k.train_corpus} (test: {k.test_corpus}), labels "
             f"{', '.join(record.metrics.get('labels', []))} ({k.label_space})",
             f"- protocol {k.protocol}, scheme {k.scheme}, fold {k.fold}, seed {k.seed}",
             f"- recipe {k.recipe}; chosen configuration "
             f"{record.info.get('chosen', {})}, epoch {record.info.get('best_epoch')}",
             f"- run id {record.run_id}", "", "## Test metrics", "",
             "| metric | value | 95 % interval |", "|---|---|---|"]
    for metric in ("ua", "wa", "macro_f1"):
        value = record.metrics.get(metric)
        if value is None:
            continue
        low, high = intervals.get(metric, (float("nan"), float("nan")))
        lines.append(f"| {metric} | {100 * value:.1f} | {100 * low:.1f}–{100 * high:.1f} |")
    lines += ["", "## Use", "", "```sh", "emobox predict AUDIO.wav --model-dir THIS_FOLDER",
              "```", ""]
    return "\n".join(lines)
