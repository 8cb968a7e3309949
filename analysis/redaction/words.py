"""Word lists used to decide which words are ordinary English and which may identify someone.

``COMMON_WORDS`` is built from three sources: scikit-learn's ``ENGLISH_STOP_WORDS`` (copied
below, BSD licence), a hand-written list of frequent English words and of the vocabulary of
council work and of staff surveys, and -- read at run time from the installed ``vaderSentiment``
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

_FREQUENT = """
able absolutely accept accepted access according account across act action actions actual
actually add added addition address admin administration admit advice affect affected afraid
after age agency agenda ago agree agreed ahead aim allow allowed almost alone along already
alright also although always amount angry annual another answer answered anxiety anxious anybody
anymore anyone anything anyway anywhere apart apparently appear applied apply appointment
appraisal appreciate approach appropriate approve area areas argue argument arm around arrange
arrived ask asked asking assessment assistant assume attend attended attention attitude
attitudes available average avoid aware awareness away awful baby back background bad badly band
bank bar base based basic basically basis bear beat beautiful became become becoming bed began
begin behalf behave behaviour behaviours behind belief believe believed belong benefit best
better big bigger biggest bill bit black blame blamed board body book born boss both bottom box
boy brain break breakfast bring broke broken brother brought budget build building bullied
bullying bus business busy buy call called calling calls calm came campaign can't candidate
candidates car card care career careful carer carers carried carry case cases catch caught cause
caused centre certain certainly chair challenge challenged chance change changed changes
changing chat cheap check checked chief child childhood children choice choose chose chosen
church citizen city claim claimed class clean clear clearly client clients close closed clothes
club coffee cold colleague colleagues collect college colour colours come comes comfortable
coming comment commented comments commission committee common communication community company
compared complain complained complaint complaints complete completely concern concerned concerns
conduct confidence confident confidential consider considered constant constantly contact
contract control conversation conversations cook cool corner correct cost costs could couldn't
council councils count country county couple course court cover covered covid create created
crime cross cry culture current currently customer customers cut daily damage dark data date
daughter day days dead deal dealing dealt dear death decide decided decision decisions deep
definitely degree deliver delivery department depend deputy describe described desk despite
detail details develop development did didn't die died difference different difficult dinner
direct directly director disability disabled disciplinary discrimination discuss discussed
discussion dismissed distance diverse diversity division doctor document does doesn't dog doing
don't done door doubt down dozen dress drink drive driver drop dropped due during duty each
early earn easier easily east easy eat education effect effort either else email emails employee
employees employer employment end ended ending energy enjoy enough ensure enter entire entirely
environment equal equality equally especially estate even evening event events ever every
everybody everyday everyone everything evidence exactly example excellent except excuse
executive exist expect expected experience experienced experiences explain explained express eye
eyes face faced fact fail failed fair fairly fall false family far fast father fault favour fear
feedback feel feeling feelings feels fell felt female few field fight figure file fill final
finally finance financial find finding fine finish first fit five floor focus follow followed
following food force forced forget form formal forward found four free friend friendly friends
front full fully fun funding further future game gave gender general generally get gets getting
girl give given gives giving glad goes going gone good got government grade graduate great green
grievance ground group groups grow guess guidance guy guys hair half hand handle handled happen
happened happening happens happy hard hardly hate head health hear heard hearing heart heavy
held hello help helped helpful helping high higher highly hire hired history hit hold holiday
home honest honestly hope hospital hot hour hours house housing however huge human hurt idea
ideas identify identity ignore ignored ill illness image imagine impact important improve
improved improvement incident incidents include included including income increase indeed
individual individuals induction information initially inside instead interest interested
internal interview interviewed interviews investigate investigated investigation involved issue
issues it's item job jobs join joined joke jokes judge judged just keen keep keeping kept key
kid kids kill kind kindly kinds kitchen knew know knowing knowledge known lack lady land
language large largely last late lately later laugh laughed law lead leader leaders leadership
learn learned learning least leave leaving led left legal less lesson let letter level levels
lie life light like liked likely line list listen listened listening little live lived lives
living load local lock long longer look looked looking looks lose lost lot lots loud love low
lower lucky lunch made main mainly maintain major make makes making male man manage managed
management manager managers managing many mark market matter maybe meal mean meaning means meant
measure media meet meeting meetings member members memory men mental mention mentioned message
met middle might mind minister minor minority minute minutes miss missed mistake model moment
money month months morning most mostly mother move moved movement moving much mum must myself
name named names nature near nearly necessary need needed needs negative neither nervous network
never new news next nice night nobody noise normal normally north note noted notice noticed
number numbers nurse obvious obviously occasion occasionally offer offered office officer
officers official often okay old older once one online only open opened opinion opportunities
opportunity option order organisation organisations original other others otherwise outcome
outside overall own page paid pain paper parent parents park part particular particularly
partner party pass passed past pay people per perhaps period person personal personally phone
pick picked picture piece place placed plan planning play please point pointed police policies
policy political poor position positive possible possibly post potential power practice prefer
pregnant prepared present president press pressure pretty prevent previous previously price
pride private probably problem problems process produce professional programme progress project
promise promoted promotion proper properly protect protected proud prove provide provided public
pull pulled purpose push put qualified qualifications quality question questioned questions
quick quickly quiet quite race racial raise raised ran random rare rarely rate rather reach read
ready real realise realised really reason reasonable reasons receive received recent recently
recognise recognised record recruitment reduce refer referred reflect refused regard regarding
regardless regular regularly relationship relationships remain remember remove removed repeat
repeated repeatedly replace replied report reported reporting reports request require required
research resident residents resolve resolved resources respect respond response responsibility
responsible rest result results return review right rights rise risk road role roles room round
rule rules run running sad safe safety said sale same save saw say saying says scared school
score second secretary section see seeing seek seem seemed seems seen self send senior sense
sent serious seriously serve service services session set settle seven several sex share sharing
she's shift shop short shot should shouldn't show showed shown shows sick side sign significant
silence silent similar simple simply single sister sit site situation situations six size skill
skills skin sleep slightly small smile social society sold solution solve somebody someone
something sometimes somewhat son soon sorry sort sound sounds source south space speak speaking
special spend spent spoke spoken staff stage stand standard standards start started starting
state statement statements station stay step still stop stopped story straight strange street
stress stressed strong strongly structure student students study stuff stupid subject success
successful suddenly suffer suggest suggested summer supervision supervisor support supported
supportive suppose sure surprised survey suspect system systems table take taken takes taking
talk talked talking task tasks teach teacher team teams tell telling tend term terms test text
thank thanks that's theirs themselves there's they're thing things think thinking third though
thought three throughout till time times tired title today together told tone too took top total
touch towards town track training treat treated treatment tried trouble true trust truth try
trying turn turned twice two type typical unable understand understanding understood unfair unit
unless unlike until upon upset urgent use used useful using usual usually value values various
very view views visit voice wage wait waiting walk walked wall want wanted wanting wants war
wasn't watch water way ways wear week weekend weeks weight welcome went west what's whatever
whether white whole whom whose wide wife willing win window wish wished woman women won't wonder
word words work worked worker workers working workplace works world worried worry worse worst
worth wouldn't write writing written wrong wrote yeah year years yes yet young younger yourself
youth i i'm i've i'd i'll you're you've you'd you'll he's he'd he'll she'd she'll we're we've
we'd we'll they've they'd they'll isn't aren't weren't hasn't haven't hadn't can't cannot
couldn't mustn't needn't let's there'd who's where's here's how's monday tuesday wednesday
thursday friday saturday sunday weekday weekdays january february march april may june july
august september october november december spring autumn winter christmas easter equalities
inclusion inclusive inclusivity racism racist racists microaggression microaggressions prejudice
prejudiced stereotype stereotypes stereotyping unconscious bias biased harassment harassed
victimisation victimised banter comment slur slurs offensive abuse abusive abused discriminated
discriminate discriminatory exclusion excluded isolated isolation overlooked ethnicity ethnic
heritage nationality accent accents religion religious faith belief beliefs colour coloured skin
hair headscarf minority majority people person persons hr ceo cx adult adults social worker
workers workforce caseload casework caseworker assessor officer councillor councillors cabinet
mayor portfolio directorate directorates authority authorities borough district parish county
unitary tribunal employment relations union unions steward rep reps representative occupational
wellbeing absence leave sickness sickness probation probationary appraisals capability
disciplinary dismissal resignation resigned redundancy restructure restructuring secondment
acting interim permanent temporary agency locum contractor contractors apprentice apprentices
trainee trainees graduate graduates payroll pension salary salaries grade grades band bands
scale progression shortlisted shortlisting panel application applications applicant applicants
vacancy vacancies recruitment recruiting recruited hybrid remote onsite hotdesk hotdesking depot
hub reception frontline front-line backoffice admin colleagues teammates teammate line managers
senior seniors junior juniors peer peers supervisor supervisors lead leads head heads assistant
assistants deputy deputies principal officer officers children's adults' services service duty
safeguarding housing benefits revenues planning highways waste environmental environment
licensing libraries library leisure finance legal procurement democratic customer contact centre
centres care home homes residential domiciliary fostering adoption youth offending education
schools transport parking regeneration economic meeting meetings teams chat call calls zoom
training course courses workshop workshops session sessions event events network networks forum
forums group groups staff survey surveys question questions answer answers response responses
feedback anonymous anonymously confidentiality yes no maybe ok okay please thanks thank sorry
hello hi bye dear regards kind best wishes
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
    hand = STOP_WORDS | _words(_FREQUENT)
    return (hand | _sentiment_words()) - (NOT_NAMES - hand)
