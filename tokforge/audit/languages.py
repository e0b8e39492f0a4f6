"""One code system for the audit: FLORES-200 codes (``rus_Cyrl``), shown with names.

``info(code)`` gives the language's English name (ISO 639-3, from ``pycountry``), its script
(ISO 15924 name) and its resource level in the NLLB project's two-way split (NLLB Team 2022,
"No Language Left Behind", Table 1: *high* = languages with more than 1M publicly available
parallel sentences, *low* = the rest); codes outside FLORES-200 get ``"-"``. ``to_flores``
turns ISO codes used elsewhere (wordfreq's ``en``, ``zh``, ``ar``) into FLORES codes, so the
coverage table, the parity chart and the token viewer name languages the same way.

>>> info("rus_Cyrl")["name"], info("rus_Cyrl")["script"], info("rus_Cyrl")["resource"]
('Russian', 'Cyrillic', 'high')
>>> to_flores("en"), to_flores("ar"), to_flores("zh"), to_flores("fa")
('eng_Latn', 'arb_Arab', 'zho_Hans', 'pes_Arab')
"""

from __future__ import annotations

from functools import lru_cache

# NLLB Table 1 "high" resource languages (FLORES-200 codes); every other FLORES-200 code is "low".
HIGH = frozenset(
    """
afr_Latn arb_Arab ben_Beng bos_Latn bul_Cyrl cat_Latn ces_Latn dan_Latn deu_Latn ell_Grek eng_Latn
epo_Latn est_Latn eus_Latn fin_Latn fra_Latn glg_Latn heb_Hebr hin_Deva hrv_Latn hun_Latn ind_Latn
isl_Latn ita_Latn jpn_Jpan kor_Hang lit_Latn lvs_Latn mkd_Cyrl mlt_Latn nld_Latn nob_Latn pes_Arab
pol_Latn por_Latn ron_Latn rus_Cyrl slk_Latn slv_Latn spa_Latn srp_Cyrl swe_Latn swh_Latn tha_Thai
tur_Latn ukr_Cyrl vie_Latn zho_Hans zsm_Latn
""".split()
)

# ISO 639 macrolanguage -> the individual language FLORES-200 uses for it
MACRO = {
    "ara": "arb",
    "fas": "pes",
    "msa": "zsm",
    "swa": "swh",
    "lav": "lvs",
    "uzb": "uzn",
    "mon": "khk",
    "nep": "npi",
    "aze": "azj",
    "pus": "pbt",
    "orm": "gaz",
    "que": "quy",
    "sqi": "als",
    "yid": "ydd",
    "kur": "kmr",
    "est": "est",
    "grn": "grn",
    "zho": "zho",
    "nor": "nob",
    "kln": "kln",
    "fil": "tgl",
}
SHORT_SCRIPTS = {
    "Hans": "Han (Simplified)",
    "Hant": "Han (Traditional)",
    "Jpan": "Japanese",
    "Hang": "Hangul",
    "Zyyy": "Common",
}


def flores_set() -> frozenset[str]:
    """FLORES-200 codes known from the shared data folder, if present (else the HIGH set)."""
    from .. import corpus

    d = corpus.flores_dir()
    return frozenset(corpus.flores_languages(d, "devtest")) if d else HIGH


@lru_cache(maxsize=None)
def info(code: str) -> dict:
    """``{code, name, script, resource}`` for a FLORES-style code (unknown parts: the code itself)."""
    import pycountry

    lang, _, script = code.partition("_")
    rec = pycountry.languages.get(alpha_3=lang) if len(lang) == 3 else pycountry.languages.get(alpha_2=lang)
    name = getattr(rec, "name", None) or code
    sc = pycountry.scripts.get(alpha_4=script) if len(script) == 4 else None
    sname = SHORT_SCRIPTS.get(script) or (sc.name.split(" (")[0] if sc else (script or "-"))
    resource = "high" if code in HIGH else ("low" if script and len(lang) == 3 else "-")
    return {"code": code, "name": name, "script": sname, "resource": resource}


def label(code: str) -> str:
    """``Russian (rus_Cyrl)``.

    >>> label("hin_Deva")
    'Hindi (hin_Deva)'
    """
    i = info(code)
    return code if i["name"] == code else f"{i['name']} ({code})"


_MAP: dict[str, str] | None = None


def _map_file():
    from ..artifacts import cache_dir

    return cache_dir() / "audit" / "to-flores.json"


@lru_cache(maxsize=None)
def to_flores(code: str) -> str:
    """ISO 639-1/3 code (optionally with a script) -> FLORES-style ``xxx_Scrp``; unknown: unchanged.

    Answers are kept in the tokforge cache folder (``langcodes`` takes ~0.2 s to import)."""
    global _MAP
    import json

    if "_" in code and len(code.split("_")[1]) == 4:
        return code
    if _MAP is None:
        try:
            _MAP = json.loads(_map_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _MAP = {}
    if code not in _MAP:
        from ..io import atomic_write_text

        _MAP[code] = flores_code(code) or code
        try:
            atomic_write_text(_map_file(), json.dumps(_MAP))
        except OSError:
            pass
    return _MAP[code]


def flores_code(locale: str) -> str | None:
    """``pycountry`` locale -> FLORES-style code (``sr@latin`` -> ``srp_Latn``, ``zh_TW`` -> ``zho_Hant``).

    Macrolanguages become the variety FLORES-200 uses (``ar`` -> ``arb_Arab``, ``fa`` -> ``pes_Arab``).

    >>> flores_code("ru"), flores_code("sr@latin"), flores_code("zh_CN"), flores_code("ar")
    ('rus_Cyrl', 'srp_Latn', 'zho_Hans', 'arb_Arab')
    """
    import langcodes

    tag = locale.replace("_", "-")
    if "@" in tag:
        base, variant = tag.split("@", 1)
        tag = base + {"latin": "-Latn", "iqtelif": "-Latn"}.get(variant, "")
    try:
        lang = langcodes.Language.get(tag).maximize()
        if not lang.script:
            return None
        a3 = lang.to_alpha3()
        return f"{MACRO.get(a3, a3)}_{'Hang' if lang.script == 'Kore' else lang.script}"  # FLORES-200's choices
    except (ValueError, LookupError, AttributeError):
        return None
