"""Catalogue captions for the demo pictures: a Chinese object name in the museum manner
("石青缎绣云蝠纹女褂"), bilingual descriptions from varied templates, and a title.

Pure Python: it reads only the ``DemoArt`` record, so the words always agree with the pixels.
"""
from __future__ import annotations

import numpy as np

from app.media.demo.art import DemoArt

ZH_COLOUR = {"red": ["大红", "红", "绛红"], "yellow": ["明黄", "杏黄"], "dark-blue": ["石青"],
             "blue": ["蓝", "宝蓝"], "green": ["绿", "松绿"], "black": ["黑", "玄色"], "white": ["白", "月白"]}
ZH_MATERIAL = {"satin": "缎", "gauze": "纱", "silk": "绸", "cotton": "棉布", "hemp": "麻布"}
ZH_MOTIF = {"cloud": "云", "dragon": "龙", "phoenix": "凤", "crane": "鹤", "bat": "蝠", "butterfly": "蝶",
            "peony": "牡丹", "lotus": "莲", "plum-blossom": "梅", "longevity": "寿"}
ZH_ALONE = {"crane": "仙鹤", "butterfly": "蝴蝶", "lotus": "缠枝莲", "plum-blossom": "折枝梅",
            "longevity": "团寿", "bat": "五蝠"}
ZH_ERA = {"ming": ["明代", "明"], "qing": ["清代", "清"], "republican": ["民国", "民国时期"]}
ZH_REGION = {"han": "汉族", "manchu": "满族", "miao": "苗族"}
ZH_TECH_NOTE = {
    "embroidery": "以平针绣为主，针脚细密。", "couched-gold": "以金线盘绣纹样轮廓。",
    "kesi": "通经断纬，纹样边缘可见水路。", "brocade": "地纹为小几何纹。", "zhuanghua": "妆花织造，色彩丰富。",
    "printing": "蓝白相间，民间印染。", "batik": "蜡染冰纹清晰。"}
ZH_CUT_NOTE = {
    "robe": "圆领，大襟右衽，左右开裾。", "surcoat": "圆领对襟，平袖端。", "jacket": "立领大襟，镶宽边。",
    "shirt": "立领大襟，窄袖，两侧开衩。", "skirt": "百褶，白布裙腰。", "horse-face-skirt": "前后马面，两侧打褶，饰膝襕与底襕。",
    "trousers": "白布裤腰，裤脚镶边。", "cloud-collar": "如意云头式，边饰流苏。", "rank-badge": "方形，右上饰红日。",
    "hat": "帽顶缀结子。", "shoes": "白色鞋底。"}

EN_COLOUR = {"red": ["red", "crimson"], "yellow": ["yellow", "bright yellow"], "dark-blue": ["dark blue", "blue-black"],
             "blue": ["blue", "indigo blue"], "green": ["green"], "black": ["black"], "white": ["white", "off-white"]}
EN_MATERIAL = {"satin": "satin", "gauze": "silk gauze", "silk": "silk", "cotton": "cotton", "hemp": "ramie"}
EN_GARMENT = {"robe": "robe", "surcoat": "surcoat", "jacket": "jacket", "shirt": "unlined shirt",
              "skirt": "pleated skirt", "horse-face-skirt": "horse-face skirt", "trousers": "pair of trousers",
              "cloud-collar": "cloud collar", "rank-badge": "rank badge", "hat": "hat", "shoes": "pair of shoes"}
EN_MOTIF = {"dragon": "dragons", "phoenix": "phoenixes", "crane": "cranes", "bat": "bats", "butterfly": "butterflies",
            "peony": "peonies", "lotus": "lotus flowers", "plum-blossom": "plum blossoms", "cloud": "clouds",
            "sea-wave": "a sea-wave-and-cliff hem", "key-fret": "key-fret borders",
            "longevity": "shou (longevity) medallions"}
EN_TECH = {"embroidery": ["embroidered with", "worked in satin stitch with"],
           "couched-gold": ["embroidered in couched gold thread with", "couched in gold with"],
           "kesi": ["woven in kesi tapestry with", "in slit tapestry (kesi) with"],
           "brocade": ["brocaded with", "woven with"], "zhuanghua": ["woven in zhuanghua brocade with"],
           "printing": ["printed with", "stencil-printed with"], "batik": ["batik-dyed with", "wax-resist dyed with"]}
EN_ERA = {"ming": ["Ming dynasty", "Ming period"], "qing": ["Qing dynasty", "Qing period"],
          "republican": ["Republican period", "Republican China"]}
EN_REGION = {"han": "Han Chinese", "manchu": "Manchu", "miao": "Miao (Guizhou)"}


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))] if isinstance(options, list) else options


def zh_name(art: DemoArt, rng: np.random.Generator) -> str:
    """A Chinese catalogue name: colour, material, technique, motifs 纹, garment."""
    colour, material = _pick(rng, ZH_COLOUR[art.colour]), ZH_MATERIAL[art.material]
    motifs = _zh_motifs(art.motifs)
    garment = _zh_garment(art, rng)
    border = "镶回纹边" if "key-fret" in art.motifs and motifs != "回" else ""
    forms = {
        "embroidery": f"{colour}{material}绣{motifs}纹{border}{garment}",
        "couched-gold": f"{colour}{material}盘金绣{motifs}纹{garment}",
        "kesi": f"{colour}地缂丝{motifs}纹{garment}",
        "brocade": f"{colour}地{motifs}纹织锦{garment}",
        "zhuanghua": f"{colour}地妆花{material}{motifs}纹{garment}",
        "printing": f"{colour}地印花{motifs}纹{material}{garment}",
        "batik": f"{colour}地蜡染{motifs}纹{border}{garment}",
    }
    return forms[art.technique]


def _zh_motifs(motifs) -> str:
    figures = [m for m in motifs if m in ZH_MOTIF]
    if set(figures) == {"phoenix", "peony"}:
        core = "凤穿牡丹"
    elif len(figures) == 1:
        core = ZH_ALONE.get(figures[0], ZH_MOTIF[figures[0]])
    else:
        core = "".join(ZH_MOTIF[m] for m in sorted(figures, key=list(ZH_MOTIF).index))
    prefix = "海水江崖" if "sea-wave" in motifs else ""
    return (prefix + core) or "回"


def _zh_garment(art: DemoArt, rng: np.random.Generator) -> str:
    g, m = art.garment, art.motifs
    if g == "robe":
        return "龙袍" if "dragon" in m and art.colour == "yellow" else _pick(rng, ["吉服袍", "袍"] if "dragon" in m else ["女袍", "袍"])
    if g == "rank-badge":
        return "方补" if art.era == "qing" else "补子"
    if g == "hat":
        return "暖帽" if art.region == "manchu" else _pick(rng, ["瓜皮帽", "帽"])
    if g == "shoes":
        return "花盆底鞋" if art.region == "manchu" else "绣花鞋"
    if g == "skirt":
        return "百褶裙" if art.region == "miao" else "裙"
    if art.region == "miao" and g == "jacket":
        return "苗族女上衣"
    names = {"surcoat": ["女褂", "褂"], "jacket": ["女袄", "大襟袄"], "shirt": ["女衫", "大襟衫"],
             "horse-face-skirt": ["马面裙"], "trousers": ["裤", "女裤"], "cloud-collar": ["云肩"]}
    return _pick(rng, names[g])


def zh_description(art: DemoArt, name: str, rng: np.random.Generator) -> str:
    """Name, period and group, then a note on the cut and one on the technique."""
    era = f"{_pick(rng, ZH_ERA[art.era])}，{ZH_REGION[art.region]}。"
    notes = [ZH_CUT_NOTE[art.garment], ZH_TECH_NOTE[art.technique]]
    if rng.random() < 0.5:
        notes = notes[::-1]
    return f"{name}。{era}" + "".join(notes[: 1 + int(rng.integers(2))])


def _en_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def en_description(art: DemoArt, rng: np.random.Generator) -> str:
    """An English description from one of several templates."""
    colour, material = _pick(rng, EN_COLOUR[art.colour]), EN_MATERIAL[art.material]
    garment = "dragon robe" if art.garment == "robe" and "dragon" in art.motifs else EN_GARMENT[art.garment]
    motifs = _en_list([EN_MOTIF[m] for m in art.motifs])
    tech, era, region = _pick(rng, EN_TECH[art.technique]), _pick(rng, EN_ERA[art.era]), EN_REGION[art.region]
    article = "An" if colour[0] in "aeiou" else "A"
    templates = [
        f"{article} {colour} {material} {garment} {tech} {motifs}, {era}.",
        f"{garment[0].upper() + garment[1:]} of {colour} {material}, {tech} {motifs}. {era}, {region}.",
        f"{region} {garment} in {colour} {material}; {tech} {motifs}. {era}.",
        f"{article} {colour} {garment} ({material}) {tech} {motifs}. Made for {region} wear, {era}.",
    ]
    return _pick(rng, templates)


def en_title(art: DemoArt) -> str:
    """A short English title for items catalogued in English only."""
    garment = EN_GARMENT[art.garment].replace("pair of ", "")
    lead = EN_MOTIF[art.motifs[0]].replace("a sea-wave-and-cliff hem", "sea waves")
    colour = EN_COLOUR[art.colour][0]
    return f"{colour.capitalize()} {EN_MATERIAL[art.material]} {garment} with {lead}"


def caption(art: DemoArt, rng: np.random.Generator) -> tuple[str, str, str]:
    """(title, description, language) where language is 'zh+en', 'zh' or 'en'."""
    language = _pick(rng, ["zh+en"] * 7 + ["zh"] * 3 + ["en"] * 2)
    name = zh_name(art, rng)
    zh, en = zh_description(art, name, rng), en_description(art, rng)
    if language == "zh":
        return name, zh, language
    if language == "en":
        return en_title(art), en, language
    return name, f"{zh}\n{en}", language
