"""Redaction of free-text comments: every pattern, every configured list, the flags, and
properties that must hold for any input (never raises, idempotent, markers survive)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.redaction import (
    MARKERS,
    Redaction,
    Redactor,
    is_common_word,
    rare_tokens,
    redact,
)


def spans(result: Redaction) -> list[tuple[str, str, int, int]]:
    return [(f.kind, f.token, f.start, f.end) for f in result.flags]


def flagged(comment: str, kind: str = "name", **options: object) -> list[str]:
    return [f.token for f in Redactor(**options).redact(comment).flags if f.kind == kind]  # type: ignore[arg-type]


def text_of(comment: str, **lists: list[str]) -> str:
    return redact(comment, **lists).text


# --- results ---------------------------------------------------------------------------------


def test_results_are_frozen_and_report_flags() -> None:
    result = redact("Nothing to see here.")
    assert result == Redaction(text="Nothing to see here.", flags=(), replacements=0)
    assert not result.flagged
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]
    result = redact("I told Tunde about it.")
    assert result.flagged
    assert spans(result) == [("name", "Tunde", 7, 12)]
    assert "may be a name" in result.flags[0].reason


# --- e-mail addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Write to priya.shah@norfolk.gov.uk today", "Write to [email] today"),
        ("j.o'neill+hr@council.org.", "[email]."),
        ("(a_b-c@x-y.co.uk)", "([email])"),
        ("Two: a@b.com, c@d.org", "Two: [email], [email]"),
    ],
)
def test_emails_are_replaced(comment: str, expected: str) -> None:
    assert text_of(comment) == expected


@pytest.mark.parametrize("comment", ["meet @ 3pm", "@channel please", "email me", "a@b"])
def test_things_that_are_not_emails_are_kept(comment: str) -> None:
    assert text_of(comment) == comment


# --- telephone numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "(01223) 456789",
        "01223 456789",
        "020 7946 0018",
        "0161 496 0000",
        "01603 222222",
        "0300 123 4567",
    ],
)
def test_uk_phone_numbers_are_replaced(number: str) -> None:
    result = redact(f"Ring {number} after 5.")
    assert result.text == "Ring [phone] after 5."
    assert result.replacements == 1


@pytest.mark.parametrize(
    "comment",
    [
        "I have worked here 3 years and 10 months.",
        "It happened twice in 2024 and once in 2023.",
        "Over 50% of us, 10,000 residents, £25,000 a year.",
        "On 12/03/2024 at 09:30 in room 0.5.",
        "Scored 0 out of 10; band 5; grade 7.",
        "Version 1.2.3 and 0 to 100",
    ],
)
def test_ordinary_numbers_are_kept(comment: str) -> None:
    assert text_of(comment) == comment


# --- postcodes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("I live at CB2 1TN.", "I live at [place]."),
        ("near ip1 2aa", "near [place]"),
        ("NR13DH is mine", "[place] is mine"),
        ("sw1a 1aa", "[place]"),
        ("EC1A 1BB, M1 1AE", "[place], [place]"),
        ("office in NR1", "office in [place]"),
        ("around SW1A and LS6", "around [place] and [place]"),
    ],
)
def test_postcodes_are_replaced(comment: str, expected: str) -> None:
    assert text_of(comment) == expected


@pytest.mark.parametrize(
    "comment",
    [
        "we met on the A1 and the M25",  # roads: one-letter areas alone are ambiguous
        "CO2 levels in the office",
        "level b1 2nd floor",
        "ip1 alone in lower case",
        "KS2 results and Y7 pupils",
    ],
)
def test_things_that_are_not_postcodes_are_kept(comment: str) -> None:
    assert text_of(comment) == comment


# --- reference numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("my employee id is EMP12345", "my employee id is [number]"),
        ("case ref 2023/0456 was closed", "case ref [number] was closed"),
        ("see CR-88213", "see [number]"),
        ("NI QQ 12 34 56 C and qq123456c", "NI [number] and [number]"),
        ("payroll 1234567", "payroll [number]"),
        ("staff no. 4521 said", "staff no. [number] said"),
        ("Ref: 987", "Ref: [number]"),
        ("NHS number 943 476 5919", "NHS number [number]"),
        ("ticket 12345A", "ticket [number]"),
        ("2023/0456", "[number]"),
    ],
)
def test_reference_numbers_are_replaced(comment: str, expected: str) -> None:
    assert text_of(comment) == expected


@pytest.mark.parametrize(
    "comment",
    [
        "in FY2024 and in the 2023/24 and 2023/2024 years",
        "in that case 2023 was worse",
        "reference 2019 guidance",
        "1234 people and COVID-19",
        "staff number 12 in total",
        "it costs £12345 or 12345.67 or 1.23456",
    ],
)
def test_things_that_are_not_references_are_kept(comment: str) -> None:
    assert text_of(comment) == comment


# --- titles and names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("I told Mr Smith.", "I told [name]."),
        ("Dr. Okafor and Mrs Jane Brown met", "[name] and [name] met"),
        ("then mr Smith said", "then [name] said"),
        ("Cllr O'Neill-Jones voted", "[name] voted"),
        ("Mr Smith I think", "[name] I think"),
    ],
)
def test_titles_with_names_are_replaced(comment: str, expected: str) -> None:
    assert text_of(comment) == expected


@pytest.mark.parametrize(
    "comment", ["I miss Mr. nobody", "Send it by MS Teams or Ms Word", "Summer Dr", "The Dr said"]
)
def test_titles_without_names_are_kept(comment: str) -> None:
    assert text_of(comment) == comment


# --- configured names, places and teams ------------------------------------------------------


def test_configured_names_places_and_teams_are_replaced() -> None:
    result = redact(
        "PRIYA from Great Yarmouth joined the children's services duty team.",
        names=["Priya"],
        places=["great yarmouth"],
        teams=["Children's Services Duty Team"],
    )
    assert result.text == "[name] from [place] joined the [team]."
    assert result.replacements == 3


def test_lists_match_whole_words_only() -> None:
    assert text_of("Alison and Ali", names=["Ali"]) == "Alison and [name]"
    assert text_of("Norwichbased", places=["Norwich"]) == "Norwichbased"


def test_longest_entry_wins() -> None:
    comment = "the Norwich Duty Team and Norwich"
    assert text_of(comment, places=["Norwich"], teams=["Norwich Duty Team"]) == (
        "the [team] and [place]"
    )
    assert text_of("Priya Shah and Priya", names=["Priya", "Priya Shah"]) == "[name] and [name]"


@pytest.mark.parametrize(
    "comment",
    [
        "Childrens Services  Duty   Team",
        "children’s services\nduty team",
        "Children‘s Services Duty-Team",
    ],
)
def test_lists_tolerate_apostrophes_spacing_and_hyphens(comment: str) -> None:
    assert text_of(comment, teams=["Children's Services Duty Team"]) == "[team]"


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Priya's manager", "[name]'s manager"),
        ("Priya’s manager", "[name]’s manager"),
        ("the Okafors' house", "the Okafors' house"),
        ("James' desk", "[name]' desk"),
    ],
)
def test_possessives_keep_their_ending(comment: str, expected: str) -> None:
    assert text_of(comment, names=["Priya", "James", "Okafor"]) == expected


def test_names_win_over_places_when_listed_twice() -> None:
    assert text_of("Florence said", names=["Florence"], places=["Florence"]) == "[name] said"


def test_entries_that_are_markers_or_regex_do_not_break() -> None:
    comment = "the team and [team] and a.b* (x)"
    result = redact(comment, teams=["team", "", "   ", "a.b*", "(x)"])
    assert result.text == "the [team] and [team] and [team] [team]"


def test_emails_are_replaced_before_names() -> None:
    assert text_of("priya@x.org and Priya", names=["Priya"]) == "[email] and [name]"


# --- flags -----------------------------------------------------------------------------------


def test_rare_tokens_counts_each_comment_once() -> None:
    corpus = ["the Gorleston depot", "The depot, the DEPOT", "Priya's desk", "priya"]
    assert rare_tokens(corpus) == frozenset({"gorleston", "desk"})
    assert "depot" in rare_tokens(corpus, max_comments=2)
    assert rare_tokens([]) == frozenset()


def test_rare_flags_point_into_the_redacted_text() -> None:
    corpus = ["I work at the depot with Priya and my tortoise", "the depot is fine"]
    redactor = Redactor(names=["Priya"], corpus=corpus)
    result = redactor.redact("Email a@b.com: my tortoise, Priya's rota")
    assert result.text == "Email [email]: my tortoise, [name]'s rota"
    rare = [(f.kind, f.token, f.start, f.end) for f in result.flags if f.kind == "rare"]
    assert rare == [("rare", "tortoise", 18, 26)]
    assert all(result.text[f.start : f.end] == f.token for f in result.flags)


def test_common_and_known_words_are_not_flagged_as_rare() -> None:
    rare = rare_tokens(["I was humiliated and ignored by the bosses", "hijab"])
    assert redact("humiliated bosses", rare=rare).flags == ()
    flagged = redact("my hijab", rare=rare)
    assert [f.token for f in flagged.flags] == ["hijab"]
    assert redact("my hijab", rare=rare, known_words=["Hijab"]).flags == ()


def test_group_words_can_be_flagged_as_rare_but_not_as_names() -> None:
    result = redact("the only Eritrean in the team", rare={"eritrean"})
    assert [(f.kind, f.token) for f in result.flags] == [
        ("identifying", "the only Eritrean in the team"),
        ("rare", "Eritrean"),
    ]


def test_names_are_flagged_mid_sentence_and_at_the_start_of_a_sentence() -> None:
    result = redact("Kwame said that Bilal was lazy. Bilal left! Tunde stayed.\nAmara too")
    names = [(f.token, f.start, f.reason.split()[0]) for f in result.flags if f.kind == "name"]
    assert names == [
        ("Kwame", 0, "Starts"),
        ("Bilal", 16, "Capitalised"),
        ("Bilal", 32, "Starts"),
        ("Tunde", 44, "Starts"),
        ("Amara", 58, "Starts"),
    ]


@pytest.mark.parametrize(
    "comment",
    [
        "I spoke to HR and the BAME network in the UK.",
        "On Monday in March the Council said Equality Act rules apply.",
        "My Muslim and Black colleagues, and I'm sure others, agree.",
        "HE SHOUTED AT ME",
        "[name] and [place] again",
    ],
)
def test_ordinary_capitalised_words_are_not_flagged(comment: str) -> None:
    assert redact(comment).flags == ()


def test_names_that_are_also_words_are_flagged_when_capitalised() -> None:
    result = redact("I asked Grace and Mark, but mark my words.")
    assert [f.token for f in result.flags] == ["Grace", "Mark"]


def test_names_after_abbreviations_and_markers_are_flagged() -> None:
    result = redact("Others, e.g. Kwame, agree; [name] Osei too")
    assert [f.token for f in result.flags] == ["Kwame", "Osei"]


def test_possessive_names_are_flagged_without_the_ending() -> None:
    result = redact("I used Kwame's desk")
    assert spans(result) == [("name", "Kwame", 7, 12)]


def test_flags_are_in_text_order() -> None:
    result = Redactor(corpus=["Zanele came", "x"]).redact("I met Zanele and Osei")
    assert [(f.kind, f.token) for f in result.flags] == [
        ("name", "Zanele"),
        ("rare", "Zanele"),
        ("name", "Osei"),
    ]


# --- robustness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "comment",
    [
        "",
        "   ",
        "😀😀🙏🏾",
        "<script>alert('x')</script> &amp; <b>bold</b>",
        "Привет, это Москва. 你好，我在北京。 مرحبا",
        "a" * 10_000,
        "1" * 10_000,
        "Aa. " * 2_500,
        "[" * 500 + "]" * 500,
        "\x00\x1f\u200b\ufeff",
    ],
)
def test_odd_input_never_raises_and_is_not_escaped(comment: str) -> None:
    result = Redactor(names=["Priya"], corpus=[comment]).redact(comment)
    assert isinstance(result.text, str)
    assert "&lt;" not in result.text
    if "<script>" in comment:
        assert "<script>" in result.text


def test_non_string_input_does_not_raise() -> None:
    assert redact(None).text == ""  # type: ignore[arg-type]
    assert redact(12345).text == "[number]"  # type: ignore[arg-type]
    assert rare_tokens(["ok", None]) == frozenset({"ok"})  # type: ignore[list-item]


def test_a_single_string_as_a_list_means_one_entry() -> None:
    assert text_of("Priya and P", names="Priya") == "[name] and P"  # type: ignore[arg-type]


def test_redaction_is_idempotent_on_examples() -> None:
    redactor = Redactor(names=["Priya"], places=["Norwich"], teams=["Duty Team"])
    comment = (
        "Mr Smith, Priya's Duty Team in Norwich NR1 3DH; call 07700 900123 or "
        "priya@x.org about case ref 2023/0456 and EMP12345 (QQ 12 34 56 C)."
    )
    once = redactor.redact(comment)
    twice = redactor.redact(once.text)
    assert twice.text == once.text
    assert twice.replacements == 0
    assert twice.flags == once.flags


def test_redactor_is_reused_across_comments() -> None:
    corpus = ["Priya moved to Norwich", "The Norwich office", "I use the lift"]
    redactor = Redactor(names=["Priya"], places=["Norwich"], corpus=corpus)
    results = [redactor.redact(comment) for comment in corpus * 2]
    assert [r.text for r in results[:3]] == [
        "[name] moved to [place]",
        "The [place] office",
        "I use the lift",
    ]
    assert results[:3] == results[3:]
    assert redactor.redact(corpus[0]) == redact(
        corpus[0], names=["Priya"], places=["Norwich"], rare=rare_tokens(corpus)
    )


def test_redactor_handles_thousands_of_names() -> None:
    names = [f"Person{i}" for i in range(3_000)] + ["Priya"]
    redactor = Redactor(names=names)
    assert (
        redactor.redact("Person2999 and person12 met Priya").text == "[name] and [name] met [name]"
    )


# --- properties ------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        " ",
        ". ",
        "\n",
        "'s",
        "’",
        "Priya",
        "Norwich",
        "duty team",
        "Mr",
        "Smith",
        "07700 900123",
        "+44",
        "(0",
        ")",
        "CB2 1TN",
        "NR1",
        "EMP",
        "12345",
        "2023/0456",
        "@",
        "a@b.co",
        "[",
        "]",
        "[name]",
        "[number]",
        "ref",
        "-",
        "/",
        "0",
        "7",
        "Q",
        "C",
    ]
)
_TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=40).map("".join),
)
_REDACTOR = Redactor(
    names=["Priya", "Smith"], places=["Norwich"], teams=["Duty Team"], corpus=["Norwich x", "y"]
)
_MARKER = re.compile(r"\[(?:name|email|phone|place|team|number)\]")


@settings(max_examples=400, derandomize=True, deadline=None)
@given(_TEXTS)
def test_redaction_never_raises_and_is_idempotent(comment: str) -> None:
    once = _REDACTOR.redact(comment)
    twice = _REDACTOR.redact(once.text)
    assert twice.text == once.text
    assert twice.replacements == 0
    for flag in once.flags:
        assert once.text[flag.start : flag.end] == flag.token
        assert not _MARKER.search(flag.token)
        assert flag.reason


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKERS), st.text(max_size=8)), max_size=20))
def test_markers_survive_and_are_never_flagged(parts: list[str]) -> None:
    comment = " ".join(parts)
    result = _REDACTOR.redact(comment)
    before = len(_MARKER.findall(comment))
    assert len(_MARKER.findall(result.text)) >= before
    for match in _MARKER.finditer(result.text):
        assert not any(match.start() <= f.start < match.end() for f in result.flags)


# --- flags for what cannot be replaced (issue 9) ---------------------------------------------


@pytest.mark.parametrize(
    ("comment", "names"),
    [
        ("please ask dave about it", ["dave"]),
        ("my manager priya patel ignores me", ["priya", "patel"]),
        ("i spoke to tunde twice", ["tunde"]),
        ("then kwame said no", ["kwame"]),
        ("my line manager olu was fine", ["olu"]),
        ("thanks bilal for nothing", ["bilal"]),
    ],
)
def test_lower_case_names_after_cues_are_flagged(comment: str, names: list[str]) -> None:
    assert flagged(comment) == names


@pytest.mark.parametrize(
    "comment",
    [
        "please ask my manager about it",
        "my manager never listens and told me so",
        "i spoke to hr twice",
        "lead poisoning and head injuries",
        "a gene called brca and a so called mentor",
        "nobody said anything",
    ],
)
def test_cues_before_ordinary_words_flag_nothing(comment: str) -> None:
    assert redact(comment).flags == ()


def test_a_name_at_the_start_of_a_sentence_is_flagged_with_a_reason() -> None:
    result = redact("Dave never listens. Honestly, Priya is worse.")
    assert [(f.token, f.reason) for f in result.flags] == [
        ("Dave", "Starts a sentence and is not a common English word: it may be a name"),
        ("Priya", "Capitalised mid-sentence and not a common English word: it may be a name"),
    ]


def test_a_sentence_may_start_with_a_word_the_comments_use_as_an_ordinary_word() -> None:
    ordinary = ["Sharepoint is slow", "i hate sharepoint today", "we use sharepoint daily"]
    assert flagged("Sharepoint is slow", corpus=ordinary) == []
    # Once anyone writes it capitalised mid-sentence, it may be a name after all.
    named = ["Sharepoint is slow", "i hate sharepoint today", "ask Sharepoint today"]
    assert flagged("Sharepoint is slow", corpus=named) == ["Sharepoint"]
    # One lower-case use is not enough.
    assert flagged("Sharepoint is slow", corpus=["Sharepoint is slow", "i hate sharepoint"]) == [
        "Sharepoint"
    ]


def test_a_word_shown_to_be_a_name_is_flagged_in_every_comment() -> None:
    corpus = [
        "my manager priya is kind",
        "priya never listens to me",
        "priya ignored me again",
        "the rota is unfair",
    ]
    redactor = Redactor(corpus=corpus)
    result = redactor.redact("priya never listens to me")
    assert [(f.kind, f.token, f.reason) for f in result.flags] == [
        ("name", "priya", "Flagged as a possible name or place in another comment")
    ]
    # A cue that fires once among many ordinary uses does not spread ("so called carcinoma").
    words = ["a so called carcinoma"] + [f"the carcinoma grew in case {i}" for i in range(6)]
    assert Redactor(corpus=words).redact(words[1]).flags == ()


def test_names_are_told_apart_from_words_by_their_shape_and_spelling() -> None:
    assert is_common_word("organized") and is_common_word("Colours") and is_common_word("centers")
    assert not is_common_word("Priya")
    # Words with endings no name has are not taken for names at the start of a sentence.
    assert flagged("Standardisation helps. Hopelessness too.") == []


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Dave in the Grays office never listens", "Dave in the [place] office never listens"),
        ("The Grays office is cold", "The [place] office is cold"),
        ("She moved from the Phoenix team", "She moved from the [team] team"),
        ("at the Kings Lynn depot", "at the [place] depot"),
        ("in the new Gorleston office", "in the new [place] office"),
        ("I work at the gorleston depot", "I work at the [place] depot"),
        ("the Luton Council offices", "the [place] offices"),
        ("Amara's at the Riverside site", "Amara's at the [place] site"),
    ],
)
def test_unlisted_places_and_teams_before_a_workplace_noun_are_replaced(
    comment: str, expected: str
) -> None:
    assert text_of(comment) == expected


@pytest.mark.parametrize(
    "comment",
    [
        "the HR team and the Children's Services team",
        "in the office and at the main office and the Duty Team",
        "the new office is cold and the open plan office too",
        "the Polish team and the Black staff network",
        "in the coronary unit at the binding site",
    ],
)
def test_ordinary_words_before_a_workplace_noun_are_kept(comment: str) -> None:
    assert text_of(comment) == comment


def test_given_names_that_are_words_count_as_names_before_a_workplace_noun() -> None:
    assert text_of("I moved to the Grace team") == "I moved to the [team] team"


def test_capitalised_words_after_in_are_flagged_as_places() -> None:
    result = redact("I live in Gorleston and came from Lagos.")
    assert [(f.kind, f.token) for f in result.flags] == [
        ("place", "Gorleston"),
        ("name", "Lagos"),
    ]
    assert result.flags[0].reason.startswith("Capitalised after ‘in’")


@pytest.mark.parametrize(
    ("comment", "initials"),
    [
        ("The facilitator (J.O.) was rude", ["J.O."]),
        ("J.O. said so, and j.o again", ["J.O.", "j.o"]),
        ("ask J. O. about it", ["J. O."]),
        ("A.B.C. and X.Y were there", ["A.B.C.", "X.Y"]),
    ],
)
def test_initials_are_flagged(comment: str, initials: list[str]) -> None:
    assert flagged(comment, "initials") == initials


@pytest.mark.parametrize(
    "comment",
    ["e.g. this, i.e. that", "at 9 a.m. in the U.K.", "Plan B. Then plan C.", "version 1.2.3"],
)
def test_abbreviations_are_not_initials(comment: str) -> None:
    assert flagged(comment, "initials") == []


@pytest.mark.parametrize(
    ("comment", "span"),
    [
        (
            "I am the only Black senior manager in the whole county.",
            "I am the only Black senior manager in the whole county",
        ),
        ("As the only Asian woman in my team I feel alone", "the only Asian woman in my team"),
        ("the only one in my team who prays", "the only one in my team"),
        ("the one Black colleague here", "the one Black"),
        ("I'm the only Urdu speaker left", "I'm the only Urdu speaker left"),
        ("she was the first Muslim director", "the first Muslim"),
        ("as the only female social worker", "the only female social worker"),
    ],
)
def test_descriptions_that_single_someone_out_are_flagged(comment: str, span: str) -> None:
    result = redact(comment)
    found = [f for f in result.flags if f.kind == "identifying"]
    assert [f.token for f in found] == [span]
    assert "only one of a kind" in found[0].reason


@pytest.mark.parametrize(
    "comment",
    [
        "Is that the only way?",
        "The only thing I want is fairness.",
        "I was only trying to help",
        "the first time and the last time",
        "this is the one thing that matters",
    ],
)
def test_ordinary_uses_of_only_are_not_flagged(comment: str) -> None:
    assert flagged(comment, "identifying") == []


def test_identifying_words_are_learnt_from_the_whole_question() -> None:
    corpus = [
        "Please replace Sarah Jones as facilitator",
        "Dave in the Grays office never listens",
        "my manager priya patel ignores me",
        "The Duty Team is great",
        "email me at kwame.osei@example.org",
        "The only Black manager (J.O.) left",
    ]
    redactor = Redactor(corpus=corpus, teams=["Duty Team"])
    words = redactor.identifying_words_
    assert {"sarah", "jones", "dave", "grays", "priya", "patel", "kwame", "osei"} <= words
    assert not {"office", "duty", "team", "manager", "black", "facilitator"} & words
