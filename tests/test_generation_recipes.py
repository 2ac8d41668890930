"""Recipes: validation, hashing, files, rendering, reply parsing, and storage by content hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.generation.builtin_recipes import BUILTIN_BODIES, builtin_recipes
from core.recipes import RecipeError, ReplyParseError, item_texts, load_recipe_file, parse_reply, recipe_from_dict
from store.connection import Store
from store.generation import ensure_builtin_recipes, get_recipe, list_recipes, save_recipe

BODY = {
    "name": "qa",
    "template": "Ask about ${topic}.",
    "fields": {"question": "string", "steps": "list", "note": {"type": "string", "required": False}},
    "output": {"instruction": "${question}", "response": "${steps}"},
}


def test_builtins_cover_the_five_kinds_and_render() -> None:
    recipes = {r.name: r for r in builtin_recipes()}
    assert set(recipes) == {"self-instruct", "domain-qa", "reasoning-chain", "edge-case", "evol-instruct"}
    evol = recipes["evol-instruct"]
    assert {o.kind for o in evol.operators} == {"depth", "breadth"}
    messages = recipes["domain-qa"].render({"domain": "law", "topic_line": "Topic: leases\n"})
    assert messages[0] == {"role": "system", "content": messages[0]["content"]} and "law" in messages[0]["content"]
    assert "Topic: leases" in messages[1]["content"]
    assert messages[1]["content"].endswith('{"question": "<string>", "answer": "<string>"}')


def test_content_hash_is_stable_and_changes_with_the_body() -> None:
    first, again = recipe_from_dict(BODY), recipe_from_dict(json.loads(json.dumps(BODY)))
    assert first.content_hash == again.content_hash
    assert recipe_from_dict(first.body()).content_hash == first.content_hash
    edited = recipe_from_dict({**BODY, "template": "Ask about ${topic}!"})
    assert edited.content_hash != first.content_hash


@pytest.mark.parametrize(("change", "message"), [
    ({"template": "Use ${unknown}"}, "unknown variables: unknown"),
    ({"template": "costs $5"}, "misuses"),
    ({"fields": {}}, "non-empty table"),
    ({"fields": {"q": "number"}}, "has type 'number'"),
    ({"output": {"instruction": "${q}"}}, "'instruction' and 'response'"),
    ({"output": {"instruction": "${question}", "response": "${missing}"}}, "unknown fields: missing"),
    ({"output": {"title": "${question}", "instruction": "x", "response": "y"}}, "output target 'title'"),
    ({"name": "bad name"}, "must be letters"),
    ({"seed": "sometimes"}, "'seed' must be one of"),
    ({"template": "Do ${operator}"}, "lists no operators"),
])
def test_invalid_recipes_are_refused_with_a_reason(change: dict, message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        recipe_from_dict({**BODY, **change})


def test_recipe_files_in_toml_and_json(tmp_path: Path) -> None:
    toml_file = tmp_path / "r.toml"
    toml_file.write_text('name = "qa"\ntemplate = "Ask about ${topic}."\n[fields]\nquestion = "string"\n'
                         'steps = "list"\n[output]\ninstruction = "${question}"\nresponse = "${steps}"\n')
    json_file = tmp_path / "r.json"
    json_file.write_text(json.dumps(BODY))
    assert load_recipe_file(toml_file).fields[1].type == "list"
    assert load_recipe_file(json_file).name == "qa"
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    with pytest.raises(RecipeError, match="not valid TOML"):
        load_recipe_file(broken)
    with pytest.raises(RecipeError, match="cannot read"):
        load_recipe_file(tmp_path / "missing.json")


def test_parse_reply_accepts_fenced_json_and_maps_lists() -> None:
    recipe = recipe_from_dict(BODY)
    parsed = parse_reply(recipe, '```json\n{"question": "Why?", "steps": ["a", " b "], "extra": 1}\n```')
    assert parsed == {"question": "Why?", "steps": ["a", "b"], "note": ""}
    assert item_texts(recipe, parsed) == {"instruction": "Why?", "response": "1. a\n2. b"}
    assert parse_reply(recipe, 'Sure: {"question": 42, "steps": "one"}')["steps"] == ["one"]


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty reply"),
    ("no json here", "no JSON object"),
    ('{"question": "q", "steps": ["a"', "no JSON object"),
    ('{"question": "q", "steps": [1,}', "does not parse"),
    ('{"question": "", "steps": ["a"]}', "required field 'question'"),
    ('{"question": "q"}', "required field 'steps'"),
    ('["q"]', "no JSON object"),
])
def test_parse_reply_rejects_what_is_not_the_declared_object(content: str, message: str) -> None:
    with pytest.raises(ReplyParseError, match=message):
        parse_reply(recipe_from_dict(BODY), content)


def test_store_keeps_versions_by_hash_and_builtins_once(store: Store) -> None:
    ensure_builtin_recipes(store)
    ensure_builtin_recipes(store)
    assert len(list_recipes(store.cursor())) == len(BUILTIN_BODIES)
    first = recipe_from_dict(BODY)
    second = recipe_from_dict({**BODY, "description": "v2"})
    with store.transaction() as cur:
        assert save_recipe(cur, first) is True
        assert save_recipe(cur, first) is False
        assert save_recipe(cur, second) is True
    latest = get_recipe(store.cursor(), "qa")
    assert latest is not None and latest.content_hash == second.content_hash
    pinned = get_recipe(store.cursor(), "qa", first.content_hash)
    assert pinned is not None and pinned.description == ""
    info = {r.name: r for r in list_recipes(store.cursor())}["qa"]
    assert (info.versions, info.content_hash, info.description) == (2, second.content_hash, "v2")
