"""Quotes and speakers on PolNeAR dev: content spans, speakers, cues, and throughput.

    python benchmarks/quotes.py [--limit N] [--fit] [--baseline REV]

The figures are given twice from one parse: for the shipped extractor, whose speakers come
from the learned ranking (``storytrace.nlp.speakers``), and under ``rules`` for the same
quotes with the cue verb's subject as speaker (``quotes_from_doc(doc, speakers="rules")``),
so the two can be compared in the same run. ``--fit`` first refits the ranking's weights
(``src/storytrace/nlp/speaker_model.json``) on PolNeAR train, choosing the L2 strength and the
floor on dev (``benchmarks/speakers.py`` says how); parses of train and dev are kept in
``benchmarks/cache`` between runs. ``--baseline REV`` adds a third column in the same run: the
``src`` of commit REV (say ``main``) is exported with ``git archive`` into a temporary folder
and scored by this script in a child process whose PYTHONPATH points there.

PolNeAR (../shared/data/polnear) marks every attribution as Source + Cue + Content, with
character offsets into the raw ``text/*.txt`` (read here byte-exact, no newline changes).
Where an article has several annotators' files, the first by name is used. Gold units are
content *fragments*: the guidelines annotate "“A,” she said, “B.”" as one attribution with
two fragments, so each fragment is scored on its own (inheriting source and cue); fragments
of one attribution separated only by white space and quote marks (a quote that runs over
paragraphs) are joined. A fragment is *direct* when it opens with a quote mark and either
closes with one or ends its paragraph; the rest (paraphrase, mixed quotes, beliefs,
intentions) is *indirect*. storytrace's own ``Quote.direct`` splits the predictions.

Every prediction is matched against every gold fragment once; the direct / indirect rows
take precision over the predictions of that kind and recall over the gold fragments of
that kind, so a direct quote found as indirect counts in both rows' hits.

- exact: spans agree once quote marks, punctuation and white space at the ends are trimmed.
  exact_that also ignores a leading "that" (PolNeAR content includes it, storytrace not).
- overlap50: one-to-one matches (best first) sharing at least half of *each* span's word
  tokens.
- tokens: Citron-style token overlap: matched predicted tokens / predicted tokens, matched
  gold tokens / gold tokens, over all articles.
- speaker: of the overlap50 pairs whose gold has a Source, the share whose predicted
  ``speaker_span`` overlaps it, or whose speaker (resolved, else as written) ends in the
  same word as the gold source's head phrase (the text before its first comma).
- source (PolNeAR's convention): the same, except that a quote with a ``via`` ("“...,” X
  said, according to CNN": speaker X, via CNN) is scored on its via, since PolNeAR names
  the outermost attribution as the source. "speaker" scores storytrace's speaker there.
- cue: of the overlap50 pairs, the share whose ``cue_span`` overlaps the gold Cue ("according
  to" counts when the gold cue holds "according").
- speech_cue_recall: overlap50 recall on the indirect fragments whose gold cue holds a verb
  of ``CUE_LEMMAS`` (what the extractor sets out to find; PolNeAR also counts beliefs).
Throughput: spaCy parse + ``quotes_from_doc`` + ``entities_from_doc`` per article, one
process, on this machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _shared import DATA, ROOT, Timer, need, peak_rss_mb, write_result

Span = tuple[int, int]
MARKS = "\"'`“”‘’«»„"
_TRIM = MARKS + " \t\n\xa0.,;:!?—–-…"
_WORD = re.compile(r"\w+")
GROUPS = ("all", "direct", "indirect")


@dataclass(frozen=True)
class Gold:
    """One content fragment of a PolNeAR attribution."""

    span: Span
    direct: bool
    source: tuple[Span, ...]
    cue: tuple[Span, ...]


@dataclass
class Article:
    name: str
    text: str
    gold: list[Gold]


def _fragments(field: str) -> list[Span]:
    """'Content 10 20;25 40' -> [(10, 20), (25, 40)]."""
    offsets = field.split(" ", 1)[1]
    return [(int(a), int(b)) for a, b in (piece.split() for piece in offsets.split(";"))]


def _joined(text: str, spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and not text[out[-1][1] : start].strip(MARKS + " \t\n\xa0"):
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def _is_direct(text: str, span: Span) -> bool:
    body = text[span[0] : span[1]].strip()
    if not body or body[0] not in MARKS:
        return False
    closes = body.rstrip(" .,;:!?—–-…")[-1:] in MARKS
    line_end = text.find("\n", span[1])
    rest = text[span[1] : len(text) if line_end < 0 else line_end]
    return closes or not rest.strip()


def read_article(text_path: Path, ann_path: Path) -> Article:
    with text_path.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    spans: dict[str, list[Span]] = {}
    events: list[dict[str, str]] = []
    for line in ann_path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            spans[parts[0]] = _fragments(parts[1])
        elif line.startswith("E") and len(parts) >= 2:
            events.append(dict(item.split(":", 1) for item in parts[1].split()))
    gold = []
    for event in events:
        content = [s for role, t in event.items() if role.startswith("Content") for s in spans[t]]
        source = tuple(spans.get(event.get("Source", ""), ()))
        cue = tuple(spans.get(event.get("Cue", ""), ()))
        gold.extend(
            Gold(span, _is_direct(text, span), source, cue) for span in _joined(text, content)
        )
    return Article(text_path.stem, text, gold)


def read_split(limit: int | None, split: str = "dev") -> list[Article]:
    root = need(DATA / "polnear" / "data" / split)
    first: dict[str, Path] = {}
    for ann in sorted((root / "attributions").glob("*.ann")):
        first.setdefault(ann.stem.rsplit("_", 1)[0], ann)
    names = sorted(first)[:limit] if limit else sorted(first)
    return [read_article(root / "text" / f"{name}.txt", first[name]) for name in names]


def trimmed(text: str, span: Span, that: bool = False) -> Span:
    start, end = span
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    if that and text[start : start + 5].lower() == "that ":
        return trimmed(text, (start + 5, end))
    return start, end


def tokens(text: str, span: Span) -> set[int]:
    return {m.start() for m in _WORD.finditer(text, span[0], span[1])}


def _overlaps(a: Span | None, spans: tuple[Span, ...]) -> bool:
    return a is not None and any(a[0] < e and s < a[1] for s, e in spans)


def _last_word(text: str | None) -> str | None:
    words = _WORD.findall(text or "")
    return words[-1].casefold() if words else None


def match(article: Article, quotes: list[Any]) -> list[tuple[int, int]]:
    """One-to-one (prediction, gold) pairs sharing half of each span's tokens, best first."""
    text = article.text
    g_tok = [tokens(text, g.span) for g in article.gold]
    candidates = []
    for qi, q in enumerate(quotes):
        q_tok = tokens(text, q.span)
        for gi, gt in enumerate(g_tok):
            shared = len(q_tok & gt)
            if shared and shared >= 0.5 * max(len(q_tok), len(gt)):
                candidates.append((-shared / max(len(q_tok), len(gt)), qi, gi))
    pairs, used_q, used_g = [], set(), set()
    for _, qi, gi in sorted(candidates):
        if qi not in used_q and gi not in used_g:
            pairs.append((qi, gi))
            used_q.add(qi)
            used_g.add(gi)
    return pairs


def speaker_ok(text: str, quote: Any, gold: Gold) -> bool:
    if _overlaps(quote.speaker_span, gold.source):
        return True
    source = " ".join(text[s:e] for s, e in gold.source)
    said = {_last_word(quote.speaker_resolved), _last_word(quote.speaker)} - {None}
    return bool(said & {_last_word(source), _last_word(source.split(",")[0])})


def source_ok(text: str, quote: Any, gold: Gold) -> bool:
    """PolNeAR's convention: the source of "“...,” X said, according to CNN" is CNN, which
    storytrace keeps as the quote's ``via`` beside the speaker X."""
    via = getattr(quote, "via", None)
    if not via:
        return speaker_ok(text, quote, gold)
    source = " ".join(text[s:e] for s, e in gold.source)
    return _last_word(via) in {_last_word(source), _last_word(source.split(",")[0])}


def cue_ok(text: str, quote: Any, gold: Gold) -> bool:
    if quote.cue == "according to":
        return any("according" in text[s:e].lower() for s, e in gold.cue)
    return _overlaps(quote.cue_span, gold.cue)


def _kind(direct: bool) -> str:
    return "direct" if direct else "indirect"


def evaluate(
    articles: list[Article], predictions: list[list[Any]], speech_cue: list[list[bool]]
) -> dict[str, object]:
    """Figures per group; ``speech_cue[a][g]``: gold fragment g's cue holds a speech verb."""
    n: dict[str, dict[str, float]] = {g: defaultdict(float) for g in GROUPS}
    for article, quotes, speech in zip(articles, predictions, speech_cue, strict=True):
        text, gold = article.text, article.gold
        pairs = match(article, quotes)
        hit_q, hit_g = {qi for qi, _ in pairs}, {gi for _, gi in pairs}
        exact = {that: {trimmed(text, g.span, that) for g in gold} for that in (False, True)}
        p_exact = {that: {trimmed(text, q.span, that) for q in quotes} for that in (False, True)}
        g_tok_all = set().union(*(tokens(text, g.span) for g in gold))
        p_tok_all = set().union(*(tokens(text, q.span) for q in quotes))
        for qi, q in enumerate(quotes):
            for group in ("all", _kind(q.direct)):
                c = n[group]
                c["pred"] += 1
                c["pred_hit"] += qi in hit_q
                c["pred_exact"] += trimmed(text, q.span) in exact[False]
                c["pred_exact_that"] += trimmed(text, q.span, True) in exact[True]
        for gi, g in enumerate(gold):
            for group in ("all", _kind(g.direct)):
                c = n[group]
                c["gold"] += 1
                c["gold_hit"] += gi in hit_g
                c["gold_exact"] += trimmed(text, g.span) in p_exact[False]
                c["gold_exact_that"] += trimmed(text, g.span, True) in p_exact[True]
                if not g.direct:
                    c["speech_gold"] += speech[gi]
                    c["speech_hit"] += speech[gi] and gi in hit_g
        for group in GROUPS:
            c = n[group]
            p_tok = set().union(
                *(tokens(text, q.span) for q in quotes if group in ("all", _kind(q.direct)))
            )
            g_tok = set().union(
                *(tokens(text, g.span) for g in gold if group in ("all", _kind(g.direct)))
            )
            c["tok_pred"] += len(p_tok)
            c["tok_pred_hit"] += len(p_tok & g_tok_all)
            c["tok_gold"] += len(g_tok)
            c["tok_gold_hit"] += len(g_tok & p_tok_all)
        for qi, gi in pairs:
            q, g = quotes[qi], gold[gi]
            for group in ("all", _kind(g.direct)):
                c = n[group]
                c["pairs"] += 1
                c["same_kind"] += q.direct == g.direct
                if g.source:
                    c["with_source"] += 1
                    c["speaker_ok"] += speaker_ok(text, q, g)
                    c["source_ok"] += source_ok(text, q, g)
                if g.cue:
                    c["with_cue"] += 1
                    c["cue_ok"] += cue_ok(text, q, g)

    def prf(hit_p: float, n_p: float, hit_r: float, n_r: float) -> dict[str, float]:
        p = hit_p / n_p if n_p else 0.0
        r = hit_r / n_r if n_r else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": round(p, 4), "r": round(r, 4), "f1": round(f1, 4)}

    def share(a: float, b: float) -> float | None:
        return round(a / b, 4) if b else None

    out: dict[str, object] = {}
    for group in GROUPS:
        c = n[group]
        row: dict[str, object] = {
            "gold_fragments": int(c["gold"]),
            "predicted": int(c["pred"]),
            "exact": prf(c["pred_exact"], c["pred"], c["gold_exact"], c["gold"]),
            "exact_that": prf(c["pred_exact_that"], c["pred"], c["gold_exact_that"], c["gold"]),
            "overlap50": prf(c["pred_hit"], c["pred"], c["gold_hit"], c["gold"]),
            "tokens": prf(c["tok_pred_hit"], c["tok_pred"], c["tok_gold_hit"], c["tok_gold"]),
            "matched_pairs": int(c["pairs"]),
            "pairs_with_source": int(c["with_source"]),
            "speaker_accuracy": share(c["speaker_ok"], c["with_source"]),
            "source_accuracy_polnear_convention": share(c["source_ok"], c["with_source"]),
            "cue_accuracy": share(c["cue_ok"], c["with_cue"]),
            "direct_flag_agrees": share(c["same_kind"], c["pairs"]),
        }
        if group != "direct":
            row["speech_cue_gold"] = int(c["speech_gold"])
            row["speech_cue_recall"] = share(c["speech_hit"], c["speech_gold"])
        out[group] = row
    return out


def speech_cues(docs: list[Any], articles: list[Article]) -> list[list[bool]]:
    from storytrace.nlp.quotes import CUE_LEMMAS

    out = []
    for doc, article in zip(docs, articles, strict=True):
        lemma_at = {t.idx: t.lemma_.lower() for t in doc}
        out.append(
            [
                any(lemma_at.get(i) in CUE_LEMMAS for s, e in g.cue for i in range(s, e))
                for g in article.gold
            ]
        )
    return out


def _speaker_table(
    model: dict[str, Any], rules: dict[str, Any], base: dict[str, Any] | None, rev: str | None
) -> dict[str, object]:
    """Speaker accuracy of the rules and of the ranking side by side, per group."""
    table: dict[str, object] = {}
    for group in GROUPS:
        row = {
            "rules": rules[group]["speaker_accuracy"],
            "model": model[group]["speaker_accuracy"],
            "pairs_with_source": model[group]["pairs_with_source"],
        }
        if base is not None:
            row[f"baseline {rev}"] = base[group]["speaker_accuracy"]
        table[group] = row
    return table


def measure_only(limit: int | None) -> None:
    """Print the figures of whatever ``storytrace`` is on the path (the ``--baseline`` child),
    on the cached parse of dev so both sides read the same Docs."""
    import storytrace
    from speakers import parsed
    from storytrace.nlp.quotes import quotes_from_doc

    print(f"scoring {storytrace.__file__}", file=sys.stderr)
    articles = read_split(limit)
    docs = parsed("polnear-dev", [a.text for a in articles])
    figures = evaluate(articles, [quotes_from_doc(d) for d in docs], speech_cues(docs, articles))
    print(json.dumps(figures))


def baseline(rev: str, limit: int | None) -> tuple[str, dict[str, Any]]:
    """(short hash, figures) of commit ``rev``'s code, scored in a child process."""
    short = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", rev],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    here = Path(__file__).resolve()
    with tempfile.TemporaryDirectory(prefix="storytrace-baseline-") as tmp:
        tar = subprocess.run(
            ["git", "-C", str(ROOT), "archive", short, "src"], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            archive.extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([f"{tmp}/src", str(here.parent)])}
        child = [sys.executable, str(here), "--measure-only"]
        child += ["--limit", str(limit)] if limit else []
        out = subprocess.run(
            child, env=env, check=True, capture_output=True, text=True, cwd=here.parent
        ).stdout
    return short, json.loads(out.strip().splitlines()[-1])


def refit(articles: list[Article]) -> dict[str, object]:
    """Refit speaker_model.json on PolNeAR train, choosing L2 and floor on ``articles``."""
    from speakers import fit, parsed, rows

    train = read_split(None, "train")
    with Timer() as timer:
        train_rows = rows(train, parsed("polnear-train", [a.text for a in train]))
        dev_rows = rows(articles, parsed("polnear-dev", [a.text for a in articles]))
        report = fit(train_rows, dev_rows)
    report["train_articles"] = len(train)
    report["fit_s"] = round(timer.seconds, 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument(
        "--fit", action="store_true", help="refit the speaker ranking on PolNeAR train first"
    )
    parser.add_argument("--baseline", help="also score the code of this commit (e.g. main)")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure_only(args.limit)
        return
    from storytrace.nlp.entities import entities_from_doc
    from storytrace.nlp.pipeline import MAX_CHARS, get_nlp, parse, text_of
    from storytrace.nlp.quotes import quotes_from_doc

    with Timer() as total:
        articles = read_split(args.limit)
        assert all(len(a.text) <= MAX_CHARS for a in articles)
        fitted = refit(articles) if args.fit else None
        get_nlp()
        with Timer() as parsing:
            docs = parse([a.text for a in articles])
        predictions = []
        with Timer() as extracting:
            for doc in docs:
                predictions.append(quotes_from_doc(doc))
                entities_from_doc(doc)
        by_rules = [quotes_from_doc(doc, speakers="rules") for doc in docs]
        assert all(text_of(d) == a.text for d, a in zip(docs, articles, strict=True))
        cues = speech_cues(docs, articles)
        figures = evaluate(articles, predictions, cues)
        rules = evaluate(articles, by_rules, cues)
        rev, base = baseline(args.baseline, args.limit) if args.baseline else (None, None)
    seconds = parsing.seconds + extracting.seconds
    figures["speakers_rules_vs_model"] = _speaker_table(figures, rules, base, rev)
    figures["rules"] = rules
    if base is not None:
        figures[f"baseline {rev}"] = base
    if fitted is not None:
        figures["fit"] = fitted
    figures["articles"] = len(articles)
    figures["articles_per_s"] = round(len(articles) / seconds, 2)
    figures["quotes_entities_share_of_time"] = round(extracting.seconds / seconds, 3)
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    figures["wall_s"] = round(total.seconds, 1)
    flags = (f" --limit {args.limit}" if args.limit else "") + (" --fit" if args.fit else "")
    flags += f" --baseline {args.baseline}" if args.baseline else ""
    write_result("quotes", figures, "python benchmarks/quotes.py" + flags)


if __name__ == "__main__":
    main()
