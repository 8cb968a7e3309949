"""Word lists used to decide which words are ordinary English and which may identify someone.

``common_words()`` is built from three sources: scikit-learn's ``ENGLISH_STOP_WORDS`` (copied
below, BSD licence); ``common_words.txt`` beside this file, about 4,300 everyday English words,
irregular forms and the vocabulary of council work and staff surveys, written by hand for this
package (no names, no places); and -- read at run time from the installed ``vaderSentiment``
package, a project dependency -- the words of the VADER sentiment lexicon (MIT licence), which
covers the feelings people describe. Words naming a group of people (nationalities, ethnic
groups, faiths, languages) are deliberately left out of ``COMMON_WORDS``: in a small team, the
only comment that mentions one may identify its author, so they can still be flagged as rare.
They are listed in ``NOT_NAMES`` so that a capitalised one is not mistaken for a personal name.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

# scikit-learn 1.x, sklearn.feature_extraction.text.ENGLISH_STOP_WORDS (importing scikit-learn
# takes seconds, so the list is copied rather than imported).
_STOP_WORDS = """
a about above across after afterwards again against all almost alone along already also although
always am among amongst amoungst amount an and another any anyhow anyone anything anyway
anywhere are around as at back be became because become becomes becoming been before beforehand
behind being below beside besides between beyond bill both bottom but by call can cannot cant co
con could couldnt cry de describe detail do done down due during each eg eight either eleven
else elsewhere empty enough etc even ever every everyone everything everywhere except few
fifteen fifty fill find fire first five for former formerly forty found four from front full
further get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers
herself him himself his how however hundred i ie if in inc indeed interest into is it its itself
keep last latter latterly least less ltd made many may me meanwhile might mill mine more
moreover most mostly move much must my myself name namely neither never nevertheless next nine
no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
others otherwise our ours ourselves out over own part per perhaps please put rather re same see
seem seemed seeming seems serious several she should show side since sincere six sixty so some
somehow someone something sometime sometimes somewhere still such system take ten than that the
their them themselves then thence there thereafter thereby therefore therein thereupon these
they thick thin third this those though three through throughout thru thus to together too top
toward towards twelve twenty two un under until up upon us very via was we well were what
whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
whether which while whither who whoever whole whom whose why will with within without would yet
you your yours yourself yourselves
"""

# Capitalised words that are not personal names: groups of people, faiths, languages, places
# too large to identify anyone, festivals, organisations and the words of their names.
_NOT_NAMES = """
african afro american arab arabic asian bame bangladeshi black brit britain british
caribbean celtic chinese christian christianity cornish east eastern english england europe
european eu filipino french german ghanaian greek gypsy gypsies hindu hinduism indian irish
islam islamic italian jamaican jew jewish jews kenyan kurdish latin latino latina lithuanian
mixed muslim muslims nigerian nhs northern pakistani polish portuguese punjabi roma romanian
russian scotland scottish sikh sikhism somali south southern spanish sri lankan tamil traveller
travellers turkish ukrainian urdu wales welsh west western white yoruba zimbabwean eritrean
ethiopian sudanese iranian iraqi afghan syrian albanian bulgarian hungarian czech slovak
latvian estonian dutch chinese vietnamese thai malaysian japanese korean nepali nepalese
hindi bengali gujarati tigrinya swahili somalian hong kong londoner
eid ramadan diwali hanukkah passover vaisakhi lent advent christmas easter
god allah jesus christ bible quran koran mosque temple gurdwara synagogue church
council county borough city district authority directorate department team service services
equality equalities act acts human rights resources head chief executive director manager
officer assistant deputy principal senior lead board cabinet committee panel forum network
microsoft teams zoom outlook excel word google
monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december
mr mrs ms miss mx dr prof sir dame cllr
ok okay hi hello dear thanks thank please yes no
"""

# Common English words that are also common given names: capitalised in the middle of a
# sentence, they are more likely to be someone's name than the word.
_NAME_WORDS = """
bill will mark grace hope joy faith rose dawn amber ruby pearl victor frank ray jack jay sky
summer autumn april may june august holly ivy iris hazel olive daisy lily jade heather crystal
penny sandy rusty dale glen drew chase hunter mason miles sonny sunny earl duke king prince
faith patience prudence charity mercy honor honour angel precious blessing destiny goodness
favour gift comfort
"""


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


@lru_cache(maxsize=1)
def listed_words() -> frozenset[str]:
    """The words of ``common_words.txt`` exactly as listed (lines starting ``#`` are notes)."""
    text = resources.files("analysis.redaction").joinpath("common_words.txt").read_text("utf-8")
    lines = (line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return frozenset(word for line in lines for word in line.split())


STOP_WORDS = _words(_STOP_WORDS)
NOT_NAMES = _words(_NOT_NAMES)
NAME_WORDS = _words(_NAME_WORDS)


@lru_cache(maxsize=1)
def _sentiment_words() -> frozenset[str]:
    """Alphabetic entries of the VADER lexicon, or none if the package cannot be read."""
    try:
        text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text("utf-8")
    except (ImportError, OSError, ValueError):
        return frozenset()
    words = (line.split("\t", 1)[0] for line in text.splitlines())
    return frozenset(w for w in words if len(w) > 2 and w.isalpha() and w.islower())


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Ordinary English words: never flagged as rare, and not taken for names."""
    hand = STOP_WORDS | listed_words()
    return (hand | _sentiment_words()) - (NOT_NAMES - hand)


# --- vocabularies of the flagging rules (see README.md, "What it flags") -------------------------

#: Words for a group a person belongs to: with "the only …" they can single someone out.
IDENTITY_WORDS = _words(
    """
    black white brown asian mixed bame african caribbean arab chinese indian pakistani
    bangladeshi nigerian ghanaian somali eritrean ethiopian sudanese jamaican kenyan
    zimbabwean filipino polish romanian lithuanian turkish kurdish iranian iraqi afghan syrian
    irish welsh scottish english british european latino latina gypsy roma traveller jewish
    muslim hindu sikh christian buddhist female male woman women man men lady girl boy
    disabled deaf blind autistic dyslexic neurodivergent wheelchair gay lesbian bisexual trans
    transgender queer nonbinary pregnant older oldest younger youngest migrant refugee immigrant
    foreign overseas
    """
)

#: Nouns for a person or a post; "the only … manager" describes one person.
PERSON_WORDS = _words(
    """
    person people one ones individual woman women man men lady ladies girl boy guy member
    members staff worker workers employee employees colleague colleagues manager managers
    officer officers director directors head leader leaders lead supervisor practitioner
    practitioners nurse doctor teacher carer student apprentice trainee intern assistant
    administrator coordinator advisor adviser consultant specialist assessor councillor
    therapist engineer planner analyst receptionist cleaner driver graduate starter
    """
)

#: Where "the only …" is measured: "the only one in my team", "… in the whole county".
SCOPE_WORDS = _words(
    """
    team teams office offices county council department directorate service services building
    unit area region borough district organisation company workplace floor site branch depot
    hub locality patch division authority school hospital ward group network cohort room
    meeting meetings panel board programme
    """
)

#: Words after which a word that is not a common word is probably a name ("manager priya",
#: "ask dave"). Left out: "lead" and "head" ("lead poisoning", "head injury"), "called" and
#: "named" ("a gene called …", "so called …").
NAME_CUES = _words(
    """
    manager managers boss supervisor colleague colleagues coworker teammate director officer
    mentor coach facilitator trainer assessor councillor practitioner worker deputy assistant
    administrator coordinator advisor adviser consultant receptionist cllr
    ask asked asking tell told telling thank thanked thanks emailed messaged texted rang
    phoned cc'd
    """
)
#: Two-word cues ("spoke to dave"); the first word is looked at two words back.
NAME_CUE_PAIRS = frozenset(
    tuple(pair.split())
    for pair in (
        "spoke to",
        "speak to",
        "speaking to",
        "talk to",
        "talked to",
        "talking to",
        "complained about",
        "complained to",
        "reported to",
        "report to",
        "met with",
        "worked with",
        "work with",
        "team leader",
        "team lead",
        "team manager",
        "line manager",
        "service manager",
        "practice manager",
    )
)

#: Verbs after which the word before is probably a person ("dave said").
REPORTING_VERBS = _words(
    """
    said says told asked shouted yelled replied laughed commented mentioned explained insisted
    admitted claimed complained emailed messaged joked snapped screamed whispered
    """
)

#: "in the … office": the words in between name a place ([place]) or a team ([team]).
PLACE_NOUNS = _words(
    """
    office offices depot depots hub site branch centre center building library station
    hospital clinic surgery school academy college campus base yard warehouse
    """
)
TEAM_NOUNS = _words("team teams unit department directorate division locality patch")

#: Prepositions after which a capitalised word is more likely a place than a person.
LOCATIVES = _words("in near outside inside around round across within towards")

#: Letter groups written like initials that are not initials ("e.g.", "a.m.", "U.K.").
NOT_INITIALS = _words("eg ie am pm uk us usa eu un nb ps aka rip bc ad vs cf op tv pc")
