"""Quotes and speakers on PolNeAR dev: content spans, speakers and cues; throughput.

    python benchmarks/quotes.py [--limit N]

PolNeAR marks every attribution as Source (speaker) + Cue + Content with character offsets
into the raw text. One annotator's file per article is used (the first by name). A gold
attribution is *direct* when its content starts with a quote mark. Attributions of belief or
intention ("X believes ...") are part of the gold set, so indirect recall counts them too.

- Content, exact: the spans agree once quote marks, punctuation and white space at the ends
  are trimmed.
- Content, overlap: a predicted and a gold span match when they share at least half of the
  shorter one's tokens (best partner, one to one). Token-level overlap P/R/F1 (as BBC
  Citron reports) is given too: matched tokens over predicted / over gold tokens.
- Speaker: of the overlap-matched pairs, the share whose predicted speaker span overlaps the
  gold Source span or whose speaker (resolved or as written) ends in the same word as it.
- Cue: of the matched pairs, the share whose cue span overlaps the gold Cue span.
Throughput: articles per second of spaCy parse + quotes + entities on this machine.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict

from _shared import DATA, need, peak_rss_mb, write_result

_QUOTE_START = tuple("\"“”‘’'«»")
_TRIM = " \t\n\"“”‘’'«».,;:!?—-"
_WORD = re.compile(r"\w+")


def read_gold(limit: int | None) -> list[tuple[str, str, list[dict]]]:
    root = need(DATA / "polnear" / "data" / "dev")
    out = []
    anns = sorted((root / "attributions").glob("*.ann"))
    seen = set()
    for ann in anns:
        article = ann.stem.rsplit("_", 1)[0]
        if article in seen:
            continue
        seen.add(article)
        text = (root / "text" / f"{article}.txt").read_text(encoding="utf-8")
        spans: dict[str, tuple[str, int, int]] = {}
        events = []
        for line in ann.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if line.startswith("T") and len(parts) >= 2:
                kind, *offsets = parts[1].split(" ")
                pieces = " ".join(offsets).split(";")
                start = int(pieces[0].split()[0])
                end = int(pieces[-1].split()[-1])
                spans[parts[0]] = (kind, start, end)
            elif line.startswith("E") and len(parts) >= 2:
                events.append(dict(item.split(":") for item in parts[1].split()))
        attributions = []
        for e in events:
            content = spans.get(e.get("Content", ""))
            if content is None:
                continue
            source = spans.get(e.get("Source", ""))
            cue = spans.get(e.get("Cue", ""))
            body = text[content[1] : content[2]].strip()
            attributions.append(
                {
                    "content": (content[1], content[2]),
                    "source": source[1:] if source else None,
                    "cue": cue[1:] if cue else None,
                    "direct": body.startswith(_QUOTE_START),
                }
            )
        out.append((article, text, attributions))
        if limit and len(out) >= limit:
            break
    return out


def _trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _tokens(text: str, span: tuple[int, int]) -> set[int]:
    return {m.start() + span[0] for m in _WORD.finditer(text[span[0] : span[1]])}


def _overlaps(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def _last_word(text: str | None) -> str | None:
    words = _WORD.findall(text or "")
    return words[-1].casefold() if words else None


def evaluate(
    articles: list[tuple[str, str, list[dict]]], predictions: list[list]
) -> dict[str, object]:
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (_, text, gold), pred in zip(articles, predictions, strict=True):
        for group in ("all", "direct", "indirect"):
            g = [a for a in gold if group == "all" or a["direct"] == (group == "direct")]
            p = [q for q in pred if group == "all" or q.direct == (group == "direct")]
            c = counts[group]
            c["gold"] += len(g)
            c["pred"] += len(p)
            g_exact = {_trimmed(text, a["content"]) for a in g}
            c["exact"] += sum(_trimmed(text, q.span) in g_exact for q in p)
            g_tok = [_tokens(text, a["content"]) for a in g]
            p_tok = [_tokens(text, q.span) for q in p]
            all_g, all_p = (
                set().union(*g_tok) if g_tok else set(),
                set().union(*p_tok) if p_tok else set(),
            )
            c["tok_pred"] += len(all_p)
            c["tok_gold"] += len(all_g)
            c["tok_both"] += len(all_p & all_g)
            used: set[int] = set()
            for qi, q in enumerate(p):
                best, best_share = None, 0.5
                for gi in range(len(g)):
                    if gi in used or not g_tok[gi] or not p_tok[qi]:
                        continue
                    share = len(g_tok[gi] & p_tok[qi]) / min(len(g_tok[gi]), len(p_tok[qi]))
                    if share >= best_share:
                        best, best_share = gi, share
                if best is None:
                    continue
                used.add(best)
                a = g[best]
                c["matched"] += 1
                if a["source"] is not None:
                    c["with_source"] += 1
                    gold_source = text[a["source"][0] : a["source"][1]]
                    said = q.speaker_resolved or q.speaker
                    if _overlaps(q.speaker_span, a["source"]) or (
                        _last_word(said) and _last_word(said) in {_last_word(gold_source)}
                    ):
                        c["speaker_ok"] += 1
                if a["cue"] is not None:
                    c["with_cue"] += 1
                    c["cue_ok"] += _overlaps(q.cue_span, a["cue"])
    out: dict[str, object] = {}
    for group, c in counts.items():

        def prf(hit_p: float, hit_r: float, n_p: float, n_r: float) -> dict[str, float]:
            p = hit_p / n_p if n_p else 0.0
            r = hit_r / n_r if n_r else 0.0
            return {
                "p": round(p, 4),
                "r": round(r, 4),
                "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            }

        out[group] = {
            "gold": int(c["gold"]),
            "predicted": int(c["pred"]),
            "exact": prf(c["exact"], c["exact"], c["pred"], c["gold"]),
            "overlap": prf(c["matched"], c["matched"], c["pred"], c["gold"]),
            "token_overlap": prf(c["tok_both"], c["tok_both"], c["tok_pred"], c["tok_gold"]),
            "speaker_accuracy": round(c["speaker_ok"] / c["with_source"], 4)
            if c["with_source"]
            else None,
            "cue_accuracy": round(c["cue_ok"] / c["with_cue"], 4) if c["with_cue"] else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    from storytrace.nlp.entities import entities_from_doc
    from storytrace.nlp.pipeline import get_nlp, parse
    from storytrace.nlp.quotes import quotes_from_doc

    articles = read_gold(args.limit)
    get_nlp()
    start = time.perf_counter()
    predictions = []
    for doc in parse([text for _, text, _ in articles]):
        predictions.append(quotes_from_doc(doc))
        entities_from_doc(doc)
    seconds = time.perf_counter() - start
    figures = evaluate(articles, predictions)
    figures["articles"] = len(articles)
    figures["articles_per_s"] = round(len(articles) / seconds, 2)
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    write_result(
        "quotes",
        figures,
        "python benchmarks/quotes.py" + (f" --limit {args.limit}" if args.limit else ""),
    )


if __name__ == "__main__":
    main()
