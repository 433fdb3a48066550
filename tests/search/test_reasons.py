"""Reasons in words, in English and Chinese (pure: a stand-in for the service's Reason)."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from app.core.scheme import LabelScheme
from app.paths import resource
from app.search.reasons import bilingual, describe, describe_all, label_name


@dataclass
class Reason:  # the shape of app.services.search.Reason; this module reads attributes only
    kind: str
    label: str = ""
    field: str = ""
    term: str = ""
    value: float = 0.0


@pytest.fixture(scope="module")
def scheme() -> LabelScheme:
    data = json.loads(resource("scheme", "default.json").read_text(encoding="utf-8"))
    return LabelScheme.from_dict(data)


@pytest.mark.parametrize("reason, english, chinese", [
    (Reason("keyword", field="title", term="龙袍"), "title: 龙袍", "标题：龙袍"),
    (Reason("keyword", field="description", term="peony"), "description: peony", "描述：peony"),
    (Reason("keyword", field="metadata.donor", term="Wang"), "metadata.donor: Wang", "元数据·donor：Wang"),
    (Reason("tagged", label="dragon"), "tagged Dragon", "已标注 龙"),
    (Reason("predicted", label="dragon", value=0.87), "looks like Dragon, 87 %", "看起来像 龙，87%"),
    (Reason("distance", value=5), "distance 5", "距离 5"),
    (Reason("duplicate"), "same photo", "同一张照片"),
    (Reason("look-alike"), "very similar photo", "非常相似的照片"),
    (Reason("accession", term="DEMO-0001"), "accession number DEMO-0001", "编号 DEMO-0001"),
])
def test_each_kind_in_both_languages(scheme, reason, english, chinese):
    assert describe(reason, scheme) == english
    assert describe(reason, scheme, "en") == english
    assert describe(reason, scheme, "zh") == chinese
    assert describe(reason, scheme, "zh_CN") == chinese


def test_labels_the_scheme_lacks_and_unknown_kinds_are_named_as_they_are(scheme):
    assert describe(Reason("tagged", label="unicorn"), scheme) == "tagged unicorn"
    assert describe(Reason("tagged", label="dragon"), None) == "tagged dragon"
    assert describe(Reason("telepathy"), scheme) == "telepathy"


def test_several_reasons_on_one_line(scheme):
    reasons = [Reason("tagged", label="robe"), Reason("distance", value=3.0)]
    assert describe_all(reasons, scheme) == "tagged Robe · distance 3"
    assert describe_all([], scheme) == ""


def test_label_names(scheme):
    assert label_name("horse-face-skirt", scheme, "zh") == "马面裙"
    assert bilingual("dragon", scheme) == "Dragon 龙"
