"""The ``dealproof`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from api.cli_service import add_parsers
from engine.errors import DealproofError
from engine.types import AnalyzeOptions, ProgressHook

Handler = Callable[[argparse.Namespace], int]


def _analyze_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "analyze",
        help="analyze a call recording or transcript",
        description="Transcribe, diarize and measure one call. INPUT is a media file (wav, "
        "flac, mp3, m4a, mp4, webm, ogg, ...) or a transcript (WebVTT, SRT, transcript JSON, "
        "'Name: text' lines).",
    )
    p.add_argument("input", type=Path, metavar="INPUT")
    p.add_argument("--json", type=Path, metavar="OUT", help="write the CallAnalysis JSON")
    p.add_argument("--rttm", type=Path, metavar="OUT", help="write who-spoke-when as RTTM")
    p.add_argument("--vtt", type=Path, metavar="OUT", help="write a WebVTT transcript")
    p.add_argument("--call-start", metavar="ISO8601", help="call start with UTC offset")
    p.add_argument("--tz", metavar="IANA_ZONE", help="time zone of the call")
    p.add_argument(
        "--currency",
        type=str.upper,
        metavar="CODE",
        help="ISO 4217 code of the call's money (e.g. AUD): amounts said without a currency, "
        "and plain dollars when it is a dollar, take it",
    )
    p.add_argument("--rep", metavar="NAME", help="the rep's name in a named transcript")
    p.add_argument("--speakers", type=int, metavar="N", help="number of speakers, if known")
    p.add_argument(
        "--model",
        default=os.environ.get("DEALPROOF_ASR_MODEL", "tiny.en"),
        metavar="NAME|PATH",
        help="tiny.en (default), base (multilingual), or a CTranslate2 model directory",
    )
    p.add_argument("--language", metavar="CODE", help="force the spoken language (e.g. de)")
    p.add_argument(
        "--diarizer",
        choices=["auto", "embedded", "channels", "pyannote"],
        default="auto",
        help="auto: by channel when each channel holds one voice, else embedded",
    )
    p.add_argument("--call-id", metavar="ID", help="id for the call (default: file hash)")
    p.add_argument(
        "--playbook",
        metavar="NAME|PATH",
        help=(
            "scorecard playbook: discovery (default), meddic, spiced, bant, a team playbook "
            "in $DEALPROOF_PLAYBOOK_DIR, or a YAML file"
        ),
    )
    p.add_argument(
        "--no-behaviors", action="store_true", help="skip behavior detection and the scorecard"
    )
    p.add_argument("--full", action="store_true", help="print the whole transcript")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(handler=_run_analyze)


def _run_analyze(args: argparse.Namespace) -> int:
    from api.summary import render_summary
    from pipelines.analyze import analyze_call
    from pipelines.exports import write_json, write_rttm, write_vtt

    options = AnalyzeOptions(
        model=args.model,
        language=args.language,
        diarizer=args.diarizer,
        speakers=args.speakers,
        rep=args.rep,
        call_id=args.call_id,
        call_start=args.call_start,
        timezone=args.tz,
        currency=args.currency,
        playbook=args.playbook,
        behaviors=not args.no_behaviors,
    )
    with _progress(enabled=not args.quiet and sys.stderr.isatty()) as hook:
        analysis = analyze_call(args.input, options, hook)
    if args.json:
        write_json(analysis, args.json)
    if args.rttm:
        write_rttm(analysis, args.rttm)
    if args.vtt:
        write_vtt(analysis, args.vtt)
    if not args.quiet:
        print(render_summary(analysis, max_utterances=None if args.full else 40))
    return 0


@contextmanager
def _progress(*, enabled: bool) -> Iterator[ProgressHook | None]:
    """A progress bar per stage on a terminal; nothing when output is piped."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        transient=True,
    ) as bars:
        tasks: dict[str, int] = {}

        def hook(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = int(bars.add_task(stage, total=1.0))
            bars.update(tasks[stage], completed=fraction)  # type: ignore[arg-type]

        yield hook


def _eval_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("eval", help="measure accuracy on the real data in ../shared/eval")
    which = p.add_subparsers(dest="what", required=True, metavar="{speech,behaviors}")
    speech = which.add_parser(
        "speech", help="WER and DER per file on ../shared/eval audio (pass --help for options)"
    )
    speech.add_argument("--model", default="tiny.en", help="ASR model (tiny.en, base, or path)")
    speech.add_argument("--json", type=Path, metavar="OUT", help="also write the report as JSON")
    speech.set_defaults(handler=_run_eval_speech)
    behaviors = which.add_parser(
        "behaviors",
        help="precision/recall/F1 per behavior on labeled meetings and held-out sales calls",
    )
    behaviors.add_argument(
        "--set", choices=["all", "ami", "sales", "ami-train"], default="all", dest="which"
    )
    behaviors.add_argument("--json", type=Path, metavar="OUT", help="also write JSON")
    behaviors.set_defaults(handler=_run_eval_behaviors)


def _run_eval_behaviors(args: argparse.Namespace) -> int:
    from eval.behaviors import run_behavior_report

    return run_behavior_report(which=args.which, json_out=args.json)


def _train_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("train", help="train models from the team's data")
    which = p.add_subparsers(dest="what", required=True, metavar="{behaviors}")
    behaviors = which.add_parser(
        "behaviors", help="fit the behavior heads (writes models/heads by default)"
    )
    behaviors.add_argument("--out", type=Path, help="output directory for the heads")
    behaviors.set_defaults(handler=_run_train_behaviors)


def _run_train_behaviors(args: argparse.Namespace) -> int:
    from models.training import default_heads_dir, train_behaviors

    out = args.out or default_heads_dir()
    heads = train_behaviors(out)
    print(f"wrote behavior heads {heads.version} to {out}")
    for head, row in heads.meta["cross_validation"].items():
        print(
            f"  {head:<28} threshold {heads.meta['thresholds'][head]:.2f}  "
            f"cv F1 {row['cv_f1']:.3f}  ({row['positives']} positives / {row['examples']})"
        )
    return 0


def _run_eval_speech(args: argparse.Namespace) -> int:
    from eval.speech_report import run_speech_report

    return run_speech_report(model=args.model, json_out=args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dealproof",
        description="Offline conversation intelligence for sales calls.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _analyze_parser(sub)
    _eval_parser(sub)
    _train_parser(sub)
    add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dealproof`` command; returns the exit status."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except DealproofError as exc:
        print(f"dealproof: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("dealproof: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
