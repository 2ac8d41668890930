"""The recipes every store starts with: self-instruct, domain Q&A, reasoning, edge cases, Evol-Instruct."""

from __future__ import annotations

from typing import Any

from core.recipes import Recipe, recipe_from_dict

_PAIR_FIELDS = {"instruction": "string", "input": {"type": "string", "required": False}, "response": "string"}
_PAIR_OUTPUT = {"instruction": "${instruction}", "input": "${input}", "response": "${response}"}

_EVOL_OPERATORS = [
    {"name": "add-constraints", "kind": "depth",
     "text": "Add one more constraint or requirement to the instruction."},
    {"name": "deepen", "kind": "depth",
     "text": "Increase the depth and breadth of the questions the instruction asks."},
    {"name": "concretize", "kind": "depth",
     "text": "Replace general concepts in the instruction with more specific, concrete ones."},
    {"name": "increase-reasoning", "kind": "depth",
     "text": "Rewrite the instruction so that answering it clearly needs several steps of reasoning."},
    {"name": "complicate-input", "kind": "depth",
     "text": "Add a more complex input (data, code or a table) that the instruction must work on."},
    {"name": "mutate", "kind": "breadth",
     "text": "Write a brand-new instruction in the same domain as the given one, but rarer and on a different "
             "subject, of similar length and difficulty."},
]

BUILTIN_BODIES: list[dict[str, Any]] = [
    {
        "name": "self-instruct",
        "description": "New instruction/response pairs, seeded with tasks sampled from items in the store.",
        "system": "You write diverse, high-quality training data for instruction-following assistants.",
        "template": (
            "Here are some example tasks:\n\n${examples}\n\n"
            "Write one new task that is clearly different from the examples, and a complete, correct answer.\n"
            "${topic_line}${persona_line}"
            "Put any text the task operates on in 'input'; leave 'input' empty when there is none."
        ),
        "fields": _PAIR_FIELDS,
        "output": _PAIR_OUTPUT,
        "seed": "examples",
        "seed_count": 3,
        "defaults": {"temperature": 0.9, "top_p": 0.95, "max_tokens": 768},
        "expected_completion_tokens": 350,
    },
    {
        "name": "domain-qa",
        "description": "Question and answer pairs about a named domain (--domain).",
        "system": "You are an expert in ${domain} who writes accurate questions and answers for training data.",
        "template": (
            "Write one question that a practitioner of ${domain} might genuinely ask, and an accurate, "
            "self-contained answer.\n${topic_line}${persona_line}"
        ),
        "fields": {"question": "string", "answer": "string"},
        "output": {"instruction": "${question}", "response": "${answer}"},
        "requires": ["domain"],
        "defaults": {"temperature": 0.8, "top_p": 0.95, "max_tokens": 640},
        "expected_completion_tokens": 300,
    },
    {
        "name": "reasoning-chain",
        "description": "Problems with a step-by-step reasoning chain and a final answer.",
        "system": "You write problems with careful, verifiable step-by-step solutions.",
        "template": (
            "Write one problem that needs several steps of reasoning to solve, then solve it step by step.\n"
            "${topic_line}${persona_line}"
            "Each element of 'steps' is one reasoning step; 'answer' is the final answer alone."
        ),
        "fields": {"problem": "string", "steps": "list", "answer": "string"},
        "output": {"instruction": "${problem}", "response": "${steps}\n\nAnswer: ${answer}"},
        "defaults": {"temperature": 0.7, "top_p": 0.95, "max_tokens": 1024},
        "expected_completion_tokens": 450,
    },
    {
        "name": "edge-case",
        "description": "Rare-scenario augmentation: a variant of an existing item under an unusual or edge case.",
        "system": "You stress-test assistants by writing realistic rare and edge-case scenarios.",
        "template": (
            "Here is an existing training example.\n\nInstruction: ${seed_instruction}\n"
            "Input: ${seed_input}\nResponse: ${seed_response}\n\n"
            "Write a variant of this task set in a rare, unusual or edge-case scenario (ambiguous input, "
            "extreme values, missing information, conflicting requirements, unusual locale...) and the ideal "
            "response to it. Describe the scenario in 'scenario'.\n${topic_line}${persona_line}"
        ),
        "fields": {**_PAIR_FIELDS, "scenario": "string"},
        "output": _PAIR_OUTPUT,
        "seed": "item",
        "seed_count": 1,
        "defaults": {"temperature": 0.9, "top_p": 0.95, "max_tokens": 768},
        "expected_completion_tokens": 350,
    },
    {
        "name": "evol-instruct",
        "description": "Evol-Instruct: evolve an existing instruction with a depth or breadth operator.",
        "system": "You rewrite instructions to make training data harder and more diverse (Evol-Instruct).",
        "template": (
            "Rewrite the instruction below following this operation: ${operator}\n"
            "The rewritten instruction must be reasonable, answerable by a person, and self-contained.\n\n"
            "#Given instruction#\n${seed_instruction}\n${seed_input}\n\n"
            "Then answer the rewritten instruction completely.\n${persona_line}"
        ),
        "fields": {"instruction": "string", "response": "string"},
        "output": {"instruction": "${instruction}", "response": "${response}"},
        "seed": "item",
        "seed_count": 1,
        "operators": _EVOL_OPERATORS,
        "defaults": {"temperature": 0.8, "top_p": 0.95, "max_tokens": 1024},
        "expected_completion_tokens": 450,
    },
]


def builtin_recipes() -> list[Recipe]:
    """Return the built-in recipes, validated."""
    return [recipe_from_dict(body) for body in BUILTIN_BODIES]
