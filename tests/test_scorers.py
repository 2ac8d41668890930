"""Each rule scorer on small crafted items: what it flags, what it leaves alone, and where it points."""

from __future__ import annotations

import pytest

from core.models import Item, Turn
from core.scorers import RULE_SCORERS, build_scorers, rule_scorer_names, scorer_class
from core.scorers.base import Scorer
from core.scorers.langid import identify
from core.scorers.runner import ScoringPool, score_items

LOOP = "The company is responsible for selling products. " * 12


def flag(name: str, response: str, instruction: str = "Tell me about the weather in spring.",
         **extra: object) -> tuple[bool, float, str, tuple[str, int, int] | None]:
    """Score one item with one scorer and return (flagged, score, reason, span)."""
    scorer = build_scorers([name])[0]
    result = scorer.score(Item(instruction, response, **extra))  # type: ignore[arg-type]
    return result.flagged, result.score, result.reason, result.span


def test_catalogue_is_named_versioned_and_unique() -> None:
    names = rule_scorer_names()
    assert len(names) == len(set(names)) == len(RULE_SCORERS)
    for cls in RULE_SCORERS:
        assert cls.name and cls.version and cls.description and cls.label
        assert scorer_class(cls.name) is cls


@pytest.mark.parametrize("name", rule_scorer_names())
def test_every_scorer_handles_empty_and_plain_items(name: str) -> None:
    scorer: Scorer = build_scorers([name])[0]
    for item in (Item("Hi", ""), Item("", "x"), Item("What is 2 + 2?", "4"), Item("Q", "A" * 20000)):
        result = scorer.score(item)
        assert result.verdict == ("flag" if result.score >= scorer.threshold else "pass")


@pytest.mark.parametrize(("name", "response", "instruction"), [
    ("refusal", "I'm sorry, but I can't help with that request.", "How do I bake bread?"),
    ("refusal", "I cannot provide instructions for that. It is not appropriate.", "Write a roast joke."),
    ("ai_identity", "As an AI language model, I don't have opinions, but here are some views.", "Is tea good?"),
    ("knowledge_cutoff", "As of my last knowledge update in 2021, the border was open.", "Is the border open?"),
    ("apology", "I'm sorry, but I don't understand the question.", "Explain the thing."),
    ("generic_non_answer", "Could you please provide more details?", "Plan a trip to Rome."),
    ("placeholder", "Dear [Hiring Manager's Name],\n\nI am applying.\n\nBest,\n[Your Name]", "Write a cover letter."),
    ("placeholder", "Lorem ipsum dolor sit amet.", "Write a paragraph."),
    ("truncation", "Here are the steps. First you open the box and then you lift the", "How do I open it?"),
    ("repetition", LOOP, "Describe the job."),
    ("prompt_echo", "Describe the job of a nurse. A nurse cares for patients.", "Describe the job of a nurse."),
    ("prompt_echo", "A nurse cares.\n\nInput: Teacher\nOutput: Teaches.\n\nInput: Chef\nOutput: Cooks.",
     "Describe the responsibilities of the given job."),
    ("wrong_language", "这是一个关于天气的回答，春天的天气很温暖，也经常下雨。我们应该多出去走走。",
     "Tell me about the weather in spring, and what it is like for people who live there."),
    ("format", "```python\nprint('hi')\n", "Write code."),
    ("format", "Sure <|im_end|>", "Say hi."),
])
def test_detectors_flag_their_failure(name: str, response: str, instruction: str) -> None:
    flagged, score, reason, span = flag(name, response, instruction)
    assert flagged, (name, score, reason)
    assert reason
    assert span is not None and span[0] in ("response", "instruction")
    assert 0 <= span[1] <= span[2] <= len(response) + 1


@pytest.mark.parametrize("name", rule_scorer_names())
def test_a_good_answer_passes_everything(name: str) -> None:
    response = ("Spring weather is mild and changeable. Days grow longer and warmer, while rain showers are "
                "common, so a light jacket and an umbrella are useful. Late frosts can still happen in the "
                "first weeks, which matters for gardeners planting seedlings early.")
    flagged, score, reason, _ = flag(name, response)
    assert not flagged, (name, score, reason)


def test_spans_point_at_the_evidence() -> None:
    response = "Sure! Dear [Client Name], thanks."
    _, _, _, span = flag("placeholder", response, "Write a note.")
    assert span is not None and response[span[1]:span[2]] == "[Client Name]"
    refusal = "Well. I'm sorry, but I can't help with that."
    _, _, _, span = flag("refusal", refusal, "Help me.")
    assert span is not None and refusal[span[1]:span[2]].startswith("I'm sorry, but I can't")


def test_context_lowers_scores_where_the_prompt_asks_for_it() -> None:
    assert not flag("ai_identity", "I am an AI created to help.", "Are you an AI?")[0]
    assert not flag("placeholder", "Dear [Name],", "Fill in this template: Dear [Name],")[0]
    assert not flag("wrong_language", "Bonjour, comment allez-vous aujourd'hui? Je vais bien, merci beaucoup.",
                    "Translate into French: Hello, how are you today? I am fine, thank you.")[0]
    assert not flag("refusal", "I cannot help the way I feel about the Lord up high", "Write lyrics about faith.")[0]


def test_truncation_reads_finish_reason_and_endings() -> None:
    assert flag("truncation", "All done here.", metadata={"finish_reason": "length"})[0]
    assert not flag("truncation", "The answer is 42")[0]
    assert not flag("truncation", "See https://example.com/docs/")[0]
    assert flag("truncation", "Step 1: add the numbers.\nAverage speed = 90 ÷ 4")[0]
    assert flag("truncation", "Let's wrap up the month!\n\nPlease bring a dish to sh")[0]
    assert not flag("truncation", "Roses are red\nViolets are blue\nSugar is sweet\nAnd so are you")[0]


def test_format_checks_json_when_the_recipe_expects_it() -> None:
    meta = {"expects_json": True}
    assert flag("format", '{"a": 1', metadata=meta)[0]
    assert not flag("format", '```json\n{"a": 1}\n```', metadata=meta)[0]
    assert not flag("format", '{"a": 1', metadata={})[0]
    assert flag("format", "", "Question?")[0]


def test_repetition_catches_list_and_character_loops() -> None:
    listed = "Synonyms:\n" + "\n".join(f"{i}. Glad" for i in range(1, 16))
    assert flag("repetition", listed, "List ten synonyms for happy.")[0]
    assert flag("repetition", "Program: " + "BZ" * 200, "Write a program.")[0]
    verses = ["The sun comes up over the bay\nWe run to the water to play",
              "The ice cream melts on my hand\nWe build a castle of sand",
              "The evening light is turning gold\nWe have more stories to be told"]
    chorus = "".join(f"{verse}\nOh summer, stay with us tonight\n\n" for verse in verses)
    assert not flag("repetition", chorus, "Write a song about summer.")[0]


def test_phrase_detectors_read_earlier_assistant_turns() -> None:
    turns = [Turn("user", "Write a letter."), Turn("assistant", "Dear [Your Name], hello."),
             Turn("user", "Shorter."), Turn("assistant", "Hello.")]
    item = Item("Write a letter.", "Hello.", conversation=turns)
    result = build_scorers(["placeholder"])[0].score(item)
    assert result.flagged and result.span is not None and result.span[0] == "conversation.1"


def test_gopher_rules_leave_short_answers_alone() -> None:
    assert not flag("gopher_repetition", "Yes. Yes. Yes.")[0]
    assert not flag("gopher_quality", "4")[0]
    flagged, _, reason, _ = flag("gopher_repetition", LOOP * 3)
    assert flagged and "frac" in reason


def test_language_identifier() -> None:
    assert identify("What is the capital of France and why is it famous?").lang == "en"
    assert identify("¿Cuál es la capital de Francia y por qué es famosa? Es una ciudad muy bonita.").lang == "es"
    assert identify("这是一个中文句子，用来测试语言识别。").lang == "zh"
    assert identify("これは日本語の文章です。漢字も含みます。").lang == "ja"
    assert identify("def f(x): return x + 1").lang in ("und", "en")


def test_pool_in_workers_matches_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    import core.scorers.runner as runner

    monkeypatch.setattr(runner, "PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(runner, "CHUNK", 7)
    items = [Item(f"Question {i}?", LOOP if i % 3 == 0 else f"I'm sorry, but I can't answer {i}.")
             for i in range(30)]
    scorers = build_scorers()
    serial = score_items(scorers, items)
    with ScoringPool(workers=2) as pool:
        parallel = pool.score(scorers, items)
    assert parallel == serial
