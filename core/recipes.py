"""Generation recipes: prompt templates that declare the JSON fields they expect back."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

FIELD_TYPES = ("string", "list")
SEED_MODES = ("none", "examples", "item")
ITEM_FIELDS = ("instruction", "input", "response")
TEMPLATE_VARIABLES = frozenset(
    {
        "topic", "topic_line", "persona", "persona_line", "domain", "examples",
        "seed_instruction", "seed_input", "seed_response", "operator", "operator_name", "json_shape",
    }
)


class RecipeError(ValueError):
    """A recipe file or body that cannot be used, with a one-line reason."""


class ReplyParseError(ValueError):
    """A model reply that is not the JSON object its recipe asked for."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One JSON field a recipe expects in the reply: its name, type and whether it must be there."""

    name: str
    type: str = "string"
    required: bool = True


@dataclass(frozen=True, slots=True)
class Operator:
    """An Evol-Instruct style operator: a named instruction of kind `depth` or `breadth`."""

    name: str
    kind: str
    text: str


@dataclass(frozen=True)
class Recipe:
    """A prompt template, the reply fields it expects, and how those fields become an item."""

    name: str
    template: str
    fields: tuple[FieldSpec, ...]
    output: dict[str, str]
    description: str = ""
    system: str = ""
    seed: str = "none"
    seed_count: int = 3
    requires: tuple[str, ...] = ()
    operators: tuple[Operator, ...] = ()
    kind: str = "instruction"
    defaults: dict[str, Any] = field(default_factory=dict)
    expected_completion_tokens: int = 300

    def body(self) -> dict[str, Any]:
        """Return the recipe as a plain JSON-able dict, the form stored and hashed."""
        return {
            "name": self.name,
            "description": self.description,
            "system": self.system,
            "template": self.template,
            "fields": {f.name: {"type": f.type, "required": f.required} for f in self.fields},
            "output": dict(self.output),
            "seed": self.seed,
            "seed_count": self.seed_count,
            "requires": list(self.requires),
            "operators": [{"name": o.name, "kind": o.kind, "text": o.text} for o in self.operators],
            "kind": self.kind,
            "defaults": dict(self.defaults),
            "expected_completion_tokens": self.expected_completion_tokens,
        }

    @property
    def content_hash(self) -> str:
        """Return a short hash of the canonical body; any edit gives a new hash."""
        canonical = json.dumps(self.body(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def json_shape(self) -> str:
        """Return the instruction telling the model which JSON object to reply with."""
        shape = {f.name: ["<string>", "..."] if f.type == "list" else "<string>" for f in self.fields}
        return "Reply with only a JSON object of this shape and no other text:\n" + json.dumps(shape)

    def render(self, variables: dict[str, str]) -> list[dict[str, str]]:
        """Render the chat messages for one sample from its template variables."""
        values = {name: "" for name in TEMPLATE_VARIABLES} | variables | {"json_shape": self.json_shape()}
        user = Template(self.template).substitute(values).strip()
        if "json_shape" not in Template(self.template).get_identifiers():
            user += "\n\n" + values["json_shape"]
        system = Template(self.system).substitute(values).strip()
        messages = [{"role": "system", "content": system}] if system else []
        return [*messages, {"role": "user", "content": user}]


def _fields_from(raw: Any) -> tuple[FieldSpec, ...]:
    """Parse `fields`: a table of name -> type or name -> {type, required}."""
    if not isinstance(raw, dict) or not raw:
        raise RecipeError("'fields' must be a non-empty table of field name -> type")
    specs = []
    for name, value in raw.items():
        spec = value if isinstance(value, dict) else {"type": value}
        kind = str(spec.get("type", "string"))
        if kind not in FIELD_TYPES:
            raise RecipeError(f"field {name!r} has type {kind!r}; use one of {', '.join(FIELD_TYPES)}")
        specs.append(FieldSpec(str(name), kind, bool(spec.get("required", True))))
    return tuple(specs)


def _check_template(part: str, text: str) -> None:
    """Raise RecipeError when a $-template is malformed or uses unknown variables."""
    if not Template(text).is_valid():
        raise RecipeError(f"{part} misuses '$'; write '$$' for a literal dollar sign")
    unknown = set(Template(text).get_identifiers()) - TEMPLATE_VARIABLES
    if unknown:
        raise RecipeError(f"{part} uses unknown variables: {', '.join(sorted(unknown))}")


def recipe_from_dict(body: dict[str, Any]) -> Recipe:
    """Validate a recipe body (from JSON, TOML or the store) and build the Recipe."""
    for key in ("name", "template", "fields", "output"):
        if key not in body:
            raise RecipeError(f"recipe is missing {key!r}")
    name = str(body["name"]).strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise RecipeError(f"recipe name {name!r} must be letters, digits, '-', '_' or '.'")
    fields = _fields_from(body["fields"])
    output = body["output"]
    if not isinstance(output, dict) or "instruction" not in output or "response" not in output:
        raise RecipeError("'output' must map at least 'instruction' and 'response' to templates")
    field_names = {f.name for f in fields}
    for target, text in output.items():
        if target not in ITEM_FIELDS:
            raise RecipeError(f"output target {target!r} is not one of {', '.join(ITEM_FIELDS)}")
        unknown = set(Template(str(text)).get_identifiers()) - field_names
        if unknown:
            raise RecipeError(f"output {target!r} uses unknown fields: {', '.join(sorted(unknown))}")
    template = str(body["template"])
    _check_template("template", template)
    _check_template("system", str(body.get("system", "")))
    seed = str(body.get("seed", "none"))
    if seed not in SEED_MODES:
        raise RecipeError(f"'seed' must be one of {', '.join(SEED_MODES)}")
    operators = tuple(
        Operator(str(o["name"]), str(o.get("kind", "depth")), str(o["text"])) for o in body.get("operators", [])
    )
    if "operator" in Template(template).get_identifiers() and not operators:
        raise RecipeError("template uses ${operator} but the recipe lists no operators")
    return Recipe(
        name=name,
        template=template,
        fields=fields,
        output={str(k): str(v) for k, v in output.items()},
        description=str(body.get("description", "")),
        system=str(body.get("system", "")),
        seed=seed,
        seed_count=int(body.get("seed_count", 3)),
        requires=tuple(str(r) for r in body.get("requires", [])),
        operators=operators,
        kind=str(body.get("kind", "instruction")),
        defaults=dict(body.get("defaults", {})),
        expected_completion_tokens=int(body.get("expected_completion_tokens", 300)),
    )


def load_recipe_file(path: Path) -> Recipe:
    """Read a recipe from a .json or .toml file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RecipeError(f"cannot read {path}: {error.strerror}") from None
    try:
        body = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise RecipeError(f"{path} is not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {error}") from None
    if not isinstance(body, dict):
        raise RecipeError(f"{path} must hold one recipe object")
    return recipe_from_dict(body)


_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def parse_reply(recipe: Recipe, content: str) -> dict[str, str | list[str]]:
    """Extract the recipe's fields from a reply, raising ReplyParseError when they are not all there."""
    text = _FENCE.sub("", content.strip()).strip()
    if not text:
        raise ReplyParseError("empty reply")
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ReplyParseError("reply holds no JSON object")
    try:
        data = json.loads(text[start : end + 1])
    except json.JSONDecodeError as error:
        raise ReplyParseError(f"reply JSON does not parse: {error.msg} at char {error.pos}") from None
    if not isinstance(data, dict):
        raise ReplyParseError("reply JSON is not an object")
    parsed: dict[str, str | list[str]] = {}
    for spec in recipe.fields:
        value = data.get(spec.name)
        if value is None or value == "" or value == []:
            if spec.required:
                raise ReplyParseError(f"reply lacks required field {spec.name!r}")
            parsed[spec.name] = [] if spec.type == "list" else ""
            continue
        if spec.type == "list":
            items = value if isinstance(value, list) else [value]
            parsed[spec.name] = [str(v).strip() for v in items if str(v).strip()]
        elif isinstance(value, (dict, list)):
            parsed[spec.name] = json.dumps(value, ensure_ascii=False)
        else:
            parsed[spec.name] = str(value).strip()
    return parsed


def item_texts(recipe: Recipe, parsed: dict[str, str | list[str]]) -> dict[str, str]:
    """Fill the recipe's output templates: list fields become numbered lines."""
    flat = {
        name: "\n".join(f"{i}. {v}" for i, v in enumerate(value, 1)) if isinstance(value, list) else value
        for name, value in parsed.items()
    }
    return {target: Template(text).safe_substitute(flat).strip() for target, text in recipe.output.items()}
