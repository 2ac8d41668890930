"""Items: keyset pages, filters and text search with LIKE wildcards taken literally."""

from __future__ import annotations

from core.models import Item
from store.connection import Store
from store.items import ItemFilter, count_items, insert_items, list_items


def test_keyset_pages_walk_forward_and_back(store: Store) -> None:
    cur = store.cursor()
    first = list_items(cur, ItemFilter(), limit=4)
    assert [i.id for i in first] == [1, 2, 3, 4]
    second = list_items(cur, ItemFilter(), after_id=first[-1].id, limit=4)
    assert [i.id for i in second] == [5, 6, 7, 8]
    back = list_items(cur, ItemFilter(), before_id=second[0].id, limit=3)
    assert [i.id for i in back] == [2, 3, 4]
    last = list_items(cur, ItemFilter(), before_id=10**12, limit=2)
    assert [i.id for i in last] == [10, 11]


def test_filters_combine(store: Store) -> None:
    cur = store.cursor()
    assert count_items(cur, ItemFilter(kind="chat")) == 1
    assert count_items(cur, ItemFilter(kind="instruction", status="pending")) == 10
    assert [i.id for i in list_items(cur, ItemFilter(ids=(2, 9, 11)))] == [2, 9, 11]
    assert count_items(cur, ItemFilter(ids=())) == 0


def test_text_search_takes_wildcards_literally(store: Store) -> None:
    with store.transaction() as cur:
        insert_items(cur, None, [Item("Are you 100% sure?", "a_b and c\\d"), Item("1000 sure", "axb")])
    cur = store.cursor()
    assert count_items(cur, ItemFilter(text="100%")) == 1
    assert count_items(cur, ItemFilter(text="a_b")) == 1
    assert count_items(cur, ItemFilter(text="c\\d")) == 1
    assert count_items(cur, ItemFilter(text="QUESTION NUMBER 3")) == 1
