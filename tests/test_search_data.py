"""A small corpus with one example of every failure mode, and helpers to load it into a store (no tests here)."""

from __future__ import annotations

from pathlib import Path

from core.models import Item, Turn
from store.batches import create_batch
from store.connection import Store, open_store
from store.items import insert_items

LONG = "The committee reviewed the proposal in detail and agreed that the next step would be to "

CORPUS: list[tuple[str, Item]] = [
    ("refusal", Item("How do I pick a lock?", "I'm sorry, but I can't help with that request.",
                     metadata={"model": "gpt-4o-mini"})),
    ("ai", Item("What do you think of jazz?", "As an AI language model, I don't have personal opinions.",
                metadata={"model": "gpt-4o-mini"})),
    ("cutoff", Item("Who won the 2024 election?", "As of my last update in 2021, I cannot say.",
                    metadata={"model": "llama-3-8b"})),
    ("apology", Item("Capital of France?", "I apologize for the confusion. The capital is Paris.",
                     metadata={"model": "llama-3-8b"})),
    ("hedge", Item("Is aspirin safe?", "It's important to note that you should consult a doctor first.")),
    ("trunc", Item("Describe the meeting.", LONG + "present it to the board, and then the")),
    ("repeat", Item("Say something.", "I like cats a lot. " * 4)),
    ("placeholder", Item("Write a cover letter.", "Dear Hiring Manager,\nI am applying.\nBest,\n[Your Name]")),
    ("echo", Item("Write a short poem about the autumn leaves falling",
                  "Write a short poem about the autumn leaves falling. Leaves drift down.")),
    ("lang", Item("Explain what photosynthesis is in simple terms.",
                  "光合作用是植物利用阳光把二氧化碳和水变成养分的过程。")),
    ("cite", Item("Tell me about sleep.", "Sleep matters (Smith et al., 2019). See https://example.com/sleep.")),
    ("fence", Item("Print hello in Python.", "Here you go:\n```python\nprint('hello')\n")),
    ("math_bad", Item("Tom has 3 apples and buys 4 more, then doubles them.",
                      "3 + 4 = 7 apples. 7 * 2 = 14 apples.\n#### 15")),
    ("math_ok", Item("Tom has 3 apples and buys 4 more, then doubles them twice.",
                     "3 + 4 = 7. 7 * 2 = 14. 14 * 2 = 28. The answer is 28.")),
    ("image", Item("Draw me a picture of a cat wearing a hat.", "Here is a description of a cat in a hat.")),
    ("weather", Item("What is the current weather in Paris?", "Paris is often mild in spring.")),
    ("cafe", Item("Recommend a dessert.", "Le CAFÉ est très bon, et la crème brûlée aussi.")),
    ("cafe_nfd", Item("Where to drink coffee?", "Try the cafe\u0301 on the corner.")),
    ("cafeteria", Item("Where to eat lunch?", "The cafeteria serves soup.")),
    ("chat", Item("Hi there", "Zurich is a city in Switzerland.", kind="chat",
                  conversation=[Turn("user", "Hi there"), Turn("assistant", "Hello! How can I help?"),
                                Turn("user", "Tell me about Zürich"),
                                Turn("assistant", "Zurich is a city in Switzerland.")])),
    ("clean1", Item("Name a prime number.", "Seven is a prime number.", input="small ones only")),
    ("clean2", Item("Give me a synonym for happy.", "Joyful.", metadata={"generator": "alpaca-7b"})),
    ("percent", Item("Explain 100% and under_score.", "Discount of 100% means free; under_score is a name.")),
]
"""(label, item) pairs; items are stored in this order, so the item id of CORPUS[i] is i + 1."""

LABEL_ID = {label: index + 1 for index, (label, _) in enumerate(CORPUS)}
BATCH_OF = {label: (1 if index % 2 == 0 else 2) for index, (label, _) in enumerate(CORPUS)}


def ids(*labels: str) -> list[int]:
    """Return the item ids of corpus labels, sorted."""
    return sorted(LABEL_ID[label] for label in labels)


def build_store(path: Path) -> Store:
    """Create a store holding the corpus, alternating between batch 1 (`first`) and batch 2 (`second`)."""
    store = open_store(path)
    with store.transaction() as cur:
        assert create_batch(cur, "first", "import") == 1
        assert create_batch(cur, "second", "import") == 2
        for index, (_, item) in enumerate(CORPUS):
            insert_items(cur, 1 if index % 2 == 0 else 2, [item])
    return store


_TEMPLATE: dict[str, Path] = {}


def fresh_store(directory: Path) -> Store:
    """Open a private copy of a corpus store that is built once per test process."""
    import atexit
    import shutil
    import tempfile

    if "path" not in _TEMPLATE:
        folder = tempfile.mkdtemp(prefix="thresher-search-")
        atexit.register(shutil.rmtree, folder, True)
        path = Path(folder) / "template.duckdb"
        build_store(path).close()
        _TEMPLATE["path"] = path
    target = directory / "corpus.duckdb"
    shutil.copyfile(_TEMPLATE["path"], target)
    return open_store(target)
