"""Why a hit is in the results, in words: one pure function shared by the window and the CLI.

A reason is the search service's ``Reason(kind, label, field, term, value)`` (read by attribute,
so this module needs nothing above ``app.core``). The wording exists in English and Chinese;
the window passes its interface language, the CLI English.
"""
from __future__ import annotations

from app.core.scheme import LabelScheme

# Index fields as the search service names them → how a curator says them in Chinese.
FIELDS_ZH = {"accession": "编号", "title": "标题", "description": "描述", "metadata": "元数据",
             "labels": "标签", "label": "标签"}

_WORDING = {
    "en": {"accession": "accession number {term}", "keyword": "{field}: {term}",
           "tagged": "tagged {label}", "predicted": "looks like {label}, {percent} %",
           "distance": "distance {distance}", "duplicate": "same photo",
           "look-alike": "very similar photo"},
    "zh": {"accession": "编号 {term}", "keyword": "{field}：{term}",
           "tagged": "已标注 {label}", "predicted": "看起来像 {label}，{percent}%",
           "distance": "距离 {distance}", "duplicate": "同一张照片",
           "look-alike": "非常相似的照片"},
}


def describe(reason, scheme: LabelScheme | None, language: str = "en") -> str:
    """One reason in words: "title: 龙袍", "tagged Dragon", "looks like Dragon, 87 %" (en);
    "标题：龙袍", "已标注 龙", "看起来像 龙，87%" (zh). Unknown kinds are named as they are."""
    lang = "zh" if language.startswith("zh") else "en"
    template = _WORDING[lang].get(reason.kind)
    if template is None:
        return str(reason.kind)
    return template.format(
        term=reason.term or "", field=_field(reason.field, lang),
        label=label_name(reason.label, scheme, lang),
        percent=_percent(reason.value), distance=int(round(reason.value))).strip()


def describe_all(reasons, scheme: LabelScheme | None, language: str = "en",
                 separator: str = " · ") -> str:
    """Several reasons on one line, in the order the service gave them."""
    return separator.join(describe(r, scheme, language) for r in reasons)


def label_name(label_id: str, scheme: LabelScheme | None, language: str = "en") -> str:
    """A label's name in ``language`` ('en'/'zh'); the id itself if the scheme lacks it."""
    if scheme is None or label_id not in scheme.labels:
        return label_id
    return scheme.labels[label_id].name("zh" if language.startswith("zh") else "en")


def bilingual(label_id: str, scheme: LabelScheme | None) -> str:
    """"Dragon 龙": both names, as the command line shows labels to a bilingual curator."""
    english, chinese = label_name(label_id, scheme, "en"), label_name(label_id, scheme, "zh")
    return english if english == chinese else f"{english} {chinese}"


def _field(field: str, lang: str) -> str:
    if lang != "zh":
        return field
    head, dot, key = field.partition(".")  # "metadata.donor": the key is the curator's own word
    return FIELDS_ZH.get(head, head) + (f"·{key}" if dot else "")


def _percent(value: float) -> int:
    # Probabilities arrive as 0..1; a value above 1 is taken to be a percentage already.
    return int(round(value * 100 if value <= 1 else value))


__all__ = ["bilingual", "describe", "describe_all", "label_name"]
