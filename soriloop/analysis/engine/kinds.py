"""Feedback type: praise, complaint, suggestion, question, bug (several may hold at once).

Transparent rules over the text and the sentiment: each type found names the words that made
it, so a person can see why and correct it. Types record what the text contains, the
sentiment where the customer ends up: a problem that was fixed and ends in thanks is a
complaint and praise, an open problem that also praises something is a complaint and praise.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

from soriloop.analysis.engine.heads import Evidence
from soriloop.analysis.engine.sentiment import CUE_NAMES, Sentiment
from soriloop.analysis.engine.tokens import Token

TYPES = ("praise", "complaint", "suggestion", "question", "bug")

SURE = 0.6  # the sentiment confidence from which the sentiment alone makes praise or complaint

# The standard library's own regular-expression parser (private, so typeshed has no stub):
# it tells which characters a rule's matches can start with.
_parser: Any = importlib.import_module("re._parser")

First = tuple[set[str], bool]  # the characters a match can start with; whether it can be empty


def _first_of_sequence(items: Any) -> First | None:
    found: set[str] = set()
    for op, av in items:
        item = _first_of(op, av)
        if item is None:
            return None
        chars, empty = item
        found |= chars
        if not empty:
            return found, False
    return found, True


def _first_of_class(members: Any) -> First | None:
    found: set[str] = set()
    for op, av in members:
        if op is _parser.LITERAL:
            found.add(chr(av))
        elif op is _parser.RANGE and av[1] - av[0] < 256:
            found.update(chr(c) for c in range(av[0], av[1] + 1))
        else:
            return None  # negated, \w, \s, a wide range: almost anything
    return found, False


def _first_of(op: Any, av: Any) -> First | None:
    """None for what may start with almost any character (``.``, ``\\w``, ``[^...]``) and for
    what this does not know."""
    if op is _parser.LITERAL:
        return {chr(av)}, False
    if op is _parser.IN:
        return _first_of_class(av)
    if op is _parser.BRANCH:
        found = [_first_of_sequence(alternative) for alternative in av[1]]
        if any(f is None for f in found):
            return None
        return set().union(*(f[0] for f in found if f)), any(f[1] for f in found if f)
    if op is _parser.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _first_of_sequence(sub)
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT):
        low, _high, sub = av
        inner = _first_of_sequence(sub)
        return None if inner is None else (inner[0], inner[1] or low == 0)
    if op in (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT):
        return set(), True  # zero-width: what follows starts the match
    return None


def guarded(part: str) -> str:
    """``part`` behind a look-ahead for the characters its matches can start with (itself when
    they cannot be told): the same matches, found several times faster, since the engine
    tries every one of a rule's hundreds of alternatives at every position of the text."""
    first = _first_of_sequence(_parser.parse(part, re.IGNORECASE))
    if first is None or first[1]:
        return part
    chars = "".join(re.escape(c) for c in sorted(first[0]))
    return f"(?=[{chars}])(?:{part})"


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(guarded(p) for p in parts), re.IGNORECASE)


# A question mark, Korean interrogative endings (with or without "?"), English question
# openers at the start of a sentence or clause, and requests for information or an action
# from the business ("확인 부탁드립니다", "please refund", "kindly advise").
_QUESTION = _rx(
    r"\?",
    r"(?:나요|까요|습니까|인가요|는지요|건가요|한가요|던가요|을까|ㄹ까|는지 궁금|궁금합니다|궁금해요|알고 싶)",
    r"(?:어떻게 ?(?:되|돼|하)|언제 ?(?:되|돼|와|오|해|하|쯤|까지)|왜 ?안|얼마나 ?걸)",
    r"(?:문의 ?드립니다|문의 ?드려요|문의합니다|여쭙|여쭤)",
    r"(?:확인|환불|취소|교환|처리|정정|조치|안내|답변|연락|해지|재발송|회신|설명|조회|점검|보상|반품|변경|취소 처리)"
    r"\s*(?:을|를|좀|도)?\s*(?:좀 ?)?(?:부탁|요청|바랍|해 ?달|해달|원합|해 ?(?:주|쥬)(?:세요|새요|십시오|시기|시면|실 수|실래|시겠|라|어|요))",
    r"(?:알려 ?주|알려주|가르쳐 ?주|도와 ?주세요|도와주세요|돌려 ?주세요|보내 ?주세요|해 ?달라|해달라|잡아 ?주시)",
    r"(?:^|[.!?,:;]\s*|\b(?:hi|hello|hey|also|and|so|but|ok|okay)\s+|\n)"
    r"(?:how|what|when|where|why|which|who|whats|any (?:update|news|idea)"
    r"|(?:can|could|would|will|may|should|shall) (?:i|you|we|someone|somebody|u|it|this|they)"
    r"|(?:is|are|was|were|do|does|did|has|have) (?:there|it|this|that|my|the|your|you|i|we|u|anyone|any)"
    r"|am i|is my|any chance)\b",
    r"\b(?:please|pls|plz|kindly)\s+(?:refund|cancel|advise|let (?:me|us) know|contact|call|help|send|check|confirm"
    r"|look into|move|reset|close|credit|explain|tell|reply|respond|sort|update me|investigate|reverse|reimburse|remove|escalate)",
    r"\b(?:i(?:'d| would) like(?: to (?:know|request|ask|get|have|cancel)| a refund| the difference| my)"
    r"|i (?:am|'m) (?:requesting|asking)|i want (?:my money back|a refund|to know)|refund me|i need (?:a refund|to know|help)"
    r"|would appreciate|wondering (?:if|whether|how|when)|let me know|an estimate|please advise)\b",
)

# Questions that are not asked: rhetorical or sarcastic ones ("장난하냐?", "사기 아니냐 이거?").
_RHETORICAL = _rx(
    r"(?:냐|니|라고요|라구요|인데|는데|거임|ㅡㅡ)\s*\?",
    r"(?:장난하|장난치|하고 내놓|제정신|미쳤|아니냐|뭐하는|어이)[^.!?\n]{0,12}\?",
    r"\b(?:seriously|really|are you kidding|kidding me|you serious|how hard is it)\b[^.!\n]{0,20}\?",
)

_SUGGESTION = _rx(
    r"(?:면 (?:더 )?좋겠|으면 좋겠|면좋겠|있으면|있었으면|했으면|해 ?주셨으면|주셨으면|하시면 좋|주시면 (?:더 )?(?:좋|편|감사|고르|쉽)|주면 좋"
    r"|면 (?:더 )?(?:좋을|편할|편하|쉬울|좋아할|편리)|좋을 듯|편할 듯|될 듯|좋을 것|편할 것|같아요$)",
    r"(?:추가|도입|지원|개선|생각|검토|고려|반영|확대|확장)\s*(?:를|을|도|좀)?\s*(?:해 ?주|해주|부탁|요청|바랍|해 ?줘|해줘|했으면|하면|되면|됐으면|되었으면|해 ?주시|해 ?달)",
    r"(?:만들어 ?주|넣어 ?주|보여 ?주|늘려 ?주|늘려주|올려 ?주|올려주|달아 ?주|바꿔 ?주|바꿔주|열어 ?주|열어주|표시해 ?주|표시해주"
    r"|게 ?해 ?(?:주세요|주시면|주셨으면|주시기|주면|줘|주십시오|주실 수|주시길)|수 있게|할 수 있으면|생기면|추가되|추가해|개선해|건의|제안)",
    r"\b(?:please (?:add|make|consider|bring|offer|allow|let)|pls (?:add|make|fix|bring)|plz (?:add|fix)"
    r"|would (?:be|b)(?: really| so| very| super| real)? (?:nice|great|good|cool|handy|helpful|amazing|awesome|a (?:big |great |nice |good |huge )?\w+|very welcome|welcome|sick|useful|perfect|ideal|brilliant|lovely)"
    r"|woud be|would make|would save|would suit|would help|would welcome|would love|i'?d love|we'?d love|would like to see|it'?d be|it would help"
    r"|i wish|wish (?:it|there|you|they)|should (?:add|have|be|sell|offer|make|let|allow|bring)|you could (?:add|offer|make|let)"
    r"|could you (?:add|make|offer|let|bring|simplify|improve)|can you (?:add|make|simplify|improve)|suggest(?:ion)?|feature ?request|propose"
    r"|let us|allow us|maybe (?:let|add|offer)|an option to|too please|please\!$|consider adding|make it possible)\b",
)

_BUG = _rx(
    r"(?:오류|에러|버그|튕겨|튕기|튕김|튕겼|꺼져|꺼짐|꺼지|꺼집|먹통|멈춰|멈춤|멈추|멈춥|멈췄|렉 ?걸|렉이|장애|무한 ?(?:로딩|loading)|로딩(?:이|만|되지|이 ?안)"
    r"|안 ?켜|켜지지|안 ?열|열리지|열림|접속(?:이)? ?안|접속이 되지|로그인(?:이)? ?안|로그인 ?실패|로그아웃(?:돼|되|됨)|fail 떠|실패|(?:결제|결재|카드|승인)(?:가|이)? ?(?:계속 |자꾸 )?거절|승인(?:을|이)? ?(?:안|받지 못|나지)"
    r"|반응(?:이)? ?없|아무 반응|안 ?먹(?:힘|혀|히)|사라졌|사라짐|넘어가지 않|안 ?넘어가|풀려|망가|동기화|유효하지 않|가입이 ?(?:안|되지)|재설정 ?(?:안|이 안))",
    r"(?:중복 ?결제|이중 ?결제|두 ?번 ?(?:결제|나감|나갔|빠져|청구|승인|결재)|결재가 두 ?번|결제가 두 ?번|돈(?:은|만) (?:두 번 )?(?:빠져|나감|나갔)|두 번 나)",
    r"(?:인증 ?번호|인증 ?문자|인증 ?코드|확인 ?문자|문자|메일|알림|푸시)(?:가|이|를|은|는|도)?\s*(?:하나도 |자꾸 |아직 |계속 )?(?:안 ?(?:와|옴|오|왔)|못 ?받|오지 않|안 ?들어|꺼지지)",
    r"(?:쿠폰|할인|포인트|적립)[^.!?\n]{0,12}(?:적용(?:이)? ?(?:안|되지)|반영(?:이)? ?(?:안|되지)|안 ?먹|사라)",
    r"(?:앱|어플|사이트|웹|홈페이지|페이지|화면|버튼|키오스크|포스|기계|checkout|업로드)[^.!?\n]{0,20}(?:안 ?(?:돼|되|됨)|되지 않|않아요|않습니다|못 ?하)",
    r"(?:결제|결재)(?:는|가|은)? ?(?:됐|되었|끝났|완료|빠져)[^.!?\n]{0,12}(?:는데|지만)[^.!?\n]{0,20}(?:안|않|못|실패|오지)",
    r"\b(?:crash(?:es|ed|ing)?|errors?|bugs?|buggy|freez(?:e|es|ing)|froze|glitch(?:es|y)?|outage|blank screen|keeps? spinning"
    r"|doesn'?t work|does ?n[o']t work|not working|stopp?ed working|no longer (?:works?|loads?)|(?:won'?t|doesn'?t|don'?t|didn'?t|wouldn'?t|not|never) (?:load|open|launch)"
    r"|nothing (?:loads|happens)|does nothing|do nothing|logs? me out|logged me out|closes itself|force clos|is down|are down|been down|site down|website down|app down"
    r"|charged (?:me )?(?:twice|two times|three times|double|2x|3x)|double[- ]charged|duplicate charges?|two identical charges|taken twice|debited twice"
    r"|declined|(?:payment|transaction|card|login|sign[- ]in|upload|transfer|checkout)s? (?:keeps? )?fail(?:s|ed|ing)?|fails? with|keeps failing|failed"
    r"|(?:code|otp|sms|email|link|text)s?(?: that| which)? (?:never|doesn'?t|didn'?t|hasn'?t|won'?t|don'?t|never) (?:arrives?|came|come|arrived|work)|never (?:got|received|arrives?|arrived) (?:the |an? |my )?(?:otp|code|email|sms|text)"
    r"|never got otp|invalid (?:code|token)|token invalid|\"invalid|expired|disappears|no longer|can'?t (?:log ?in|sign ?in|get into|access)|cant get into|unable to (?:access|log ?in|sign ?in|pay)"
    r"|barely work\w*|(?:hasn'?t|haven'?t|has not|have not) worked|drains?|leaks?|leaking|faulty|malfunction|(?:six|five|four|several|multiple) attempts)\b",
)

# A problem, failure, delay, cost, loss or unmet expectation, whatever the sentiment: a fixed
# problem ending in thanks and a calm complaint are complaints too.
_PROBLEM = _rx(
    r"(?:안 ?(?:왔|와|오|옴|들어|됐|돼|되|됨|열|맞|나와|나왔|보여|보이|받|갔|가|줘|주|해 ?주|해주|먹)|않(?:았|아|고|습|네)|못 ?(?:받|했|하|쓰|써|먹|찾|가|봤|들)|안됨|안돼|안되|안옴|안와"
    r"|아직|늦|지연|느려|느림|느리|오래 ?걸|걸려요|걸렸|걸리네|[0-9일이삼사오육칠팔구십두세네한]+ ?(?:시간|분|일|주|달|개월|번)째|째 |째$|기다렸|기다리고 있|기다려도|기다리다|기다림|한참|웨이팅"
    r"|누락|빠져(?:서|있|서 ?왔)|빠졌|분실|파손|깨져|깨졌|부서|찢어|찢겨|흠집|스크래치|불량|하자|고장|샜|새요|새서|상했|덜렁|줄어들|잘못|다른 색|다른 상품|다른 제품|달라요|틀려|틀렸"
    r"|불친절|퉁명|반말|무시|짜증|화나|화가|최악|별로|실망|불편|번거|헷갈|어이|황당|답답|빡치|빡쳐|장난하|사기|엉망|엉켜|개판|쓰레기|삭제각|환불 ?안|연락(?: 한 통)?(?:이|도)? ?없|답(?:변|장)?(?:이|도)? ?없|응답(?:이)? ?없"
    r"|비싸|비쌈|비쌉|위약금|부당|청구(?:되|됐|돼)|중복|이중|차액|적게|반영(?:이)? ?(?:안|되지)|적용(?:이)? ?(?:안|되지)|사라졌|작아|커서|식어|식었|차가워|짜요|짜서|싱거|맛없|더러|냄새|벌레|머리카락"
    r"|힘들|어려웠|어렵|걱정|놀랐|아쉽|쏠려|짯|던지듯|애먹|다릅니다|다르네|다른데|밀렸|밀려|짧아졌|출금되|사용하지 않은|너무 김|넘었|흔적|젖어|눅눅|미지근|불만|억울|문제|이상해|이상하|이상한|결항|취소됐|취소되었|해지 방어|그만 ?좀|귀찮|손해|ㅡㅡ|;;|ㅠㅠ|ㅜㅜ|뜯어져|딴판|속았|엉뚱|안 ?맞|없었|없네|없어요|없습니다|없음|실수|사과)",
    r"\b(?:not (?:received|arrived|here|happy|good|working|what|the|as|worth|enough|fixed|resolved)|never (?:arrived|came|got|received|showed|shows|answered|called|replied|again)"
    r"|(?:has|have|had|did|does|do|is|are|was|were|could|can|wo|would)n'?t|(?:cant|didnt|doesnt|wont|isnt|wasnt|havent|hasnt|couldnt)\b|still (?:waiting|no|not|nothing|haven|hasn|charg|go|show|says|pending)"
    r"|late|delay(?:ed|s)?|slow(?:er|ly)?|so+ slow|waited|wait(?:ing)? (?:for|an|over|almost|nearly|more)|hours?|[0-9]+ ?(?:minutes|mins|days|weeks)|missing|lost|broken|broke|damaged|cracked|snapped|leak\w*|faulty|defective|wrong|cold|stale|soggy|spilled|squashed|dirty|burnt"
    r"|rude|unhelpful|ignored|overcharg\w*|charged|twice|double|cancell?ed|expensive|overpriced|pricey|terrible|awful|worst|horrible|disappoint\w*|annoy\w*|frustrat\w*|ridiculous|unacceptable|useless"
    r"|hard to|difficult|confusing|nobody|no one|unable|fail\w*|declined|problem|issue|complain\w*|again|every (?:single )?time|too (?:slow|many|long|expensive|small|big|much|late)|rolled her eyes|rolled his eyes"
    r"|smh|ugh|wtf|scam|stuck|pending|no (?:reply|response|answer|callback)|unanswered|smell(?:ed|s)?|stains?|stained|wet|rip-?off|fell apart|came off|coming apart|falling apart"
    r"|(?:smaller|bigger|higher|more expensive) than|someone else'?s|despite|even though|promised|supposed to|was due|insist\w*|refus\w*|sour|mouldy|moldy|expired|fee|fees|outage|crash\w*|error|bug\w*|fraud|didn'?t make|nothing|barely|only (?:took|got)|shrank|tore|ripped|stopped|stoped|noise|without|instead|yet again|chasing|sorted|fix\w*|apologi[sz]ed)\b",
)

_PRAISE = _rx(
    r"(?:감사합니다|감사해요|감사드|감사했|고맙|고마워|땡큐|친절|좋아요|좋네요|좋습니다|좋았|좋은데|좋고|좋음|좋다|좋아하|좋더라|좋던데|좋긴|최고|만족|맛있|맛은|맛이 다|빠르|빨라|빨랐|예쁘|예뻐|예쁜|이뻐"
    r"|추천해요|추천합니다|강추|짱|굿|대박|훌륭|편해요|편하네|편하고|편리|깔끔|든든|감동|혜자|착한|착해|마음에 들|맘에 들|괜찮았|잘 ?쓰고|잘 ?받았|잘 ?됐|잘해|잘 해 주|잘 돼|잘 되|해결(?:해 ?주|되었|됐|돼)"
    r"|덕분|용서|기분 좋|안심|꼼꼼|신속|성의|재구매|또 ?올|또 ?갈|또 ?시킬|사랑|👍|😍|❤️|🥰|😊|고생하셨|수고하셨|센스|배려|손 크|넉넉|푸짐|저렴|싸고|가성비|맛집|부드럽|간편|정상적으로"
    r"|싱싱|튼튼|오래가|쉽게|단골|정드|프로페셔널|[0-9일이삼사오십한두세]+ ?(?:분|초|일) ?만에|마음 ?편|기억해 ?주|아껴|줄었|거의 없|friendly|유용|든든|알차|완벽|신선|달아요)",
    r"\b(?:thank(?:s| you)?|thx|ty|tysm|love[ds]?|loving|great|amazing|awesome|excellent|fantastic|brilliant|perfect(?:ly)?|delicious|tasty|friendly|helpful|kind|quick(?:ly)?|fast|impressed|happy with|satisfied"
    r"|recommend|best|nice|appreciated?|grateful|respect|superb|wonderful|lovely|cute|beautiful|gorgeous|smooth|easy|handy|polite|professional|spotless|cozy|comfy|comfortable|legend|goodservice"
    r"|sorted (?:it|everything|out)|fixed (?:it|everything)|resolved|resolving|works (?:perfectly|great|fine)|kudos|well done|top notch|10/10|5 stars|shoutout|cheers"
    r"|useful|convenient|patient|fresh|fire|unreal|commend\w*|on time|earlier than expected|well packed|instant(?:ly)?|in seconds|within (?:a|an|one|two|ten|[0-9]+) (?:minutes?|hours?|day)"
    r"|can'?t complain|(?:will|would) (?:order|buy|come|stay|book) again|good value|better|improvement|saved me|exceeded|clearly|warm|softer|cheapest|effortless|seamless)\b",
    r"(?:👍|😍|❤️|🥰|😊|🙌|💯|🔥)",
)

# Politeness that is not praise: thanks in advance, "would appreciate", "would love" (a wish),
# "would be great" (a suggestion), sarcasm openers ("oh great", "love how ...").
_NOT_PRAISE = _rx(
    r"(?:감사하겠|감사드리겠|좋겠|좋을|좋아할|빠르게 ?(?:처리|확인|답변|해결) ?(?:해 ?주|해주|부탁|바랍))",
    r"\b(?:would (?:be )?(?:appreciate|love|great|nice|amazing|awesome|perfect|lovely|brilliant)|i'?d love|we'?d love|would be (?:a )?(?:great|nice|amazing)"
    r"|(?:would|woud|wud|it'?d) (?:be|b)(?: an?| very| so| really| super| big| real)? \w+(?: \w+)?|so we can thank"
    r"|thanks? in advance|oh,? (?:great|nice|perfect|brilliant)|love how|love that (?:i|you|it)|great job,? (?:guys|team)?[^.]*(?:not|never)|so helpful,? (?:not)|thanks for nothing"
    r"|great (?:feature|job)|(?:really|just) great|just perfect|nice (?:one|job)|brilliant (?:checkout|service)|fast(?:er)? (?:than|please)|as fast as|quick (?:question|one)|easy (?:way|to (?:change|cancel|do))|kind of|kindly|best (?:way|time|option)|how fast|how quick)\b",
)

_THANKS = _rx(r"감사합니다|감사해요|감사드|고맙|thanks?|thank you|thx|ty|tysm|cheers")

# Contrast or a fix: praise beside a problem ("맛은 좋은데 배달이 늦어요", "late, but they sorted it").
_TURN = _rx(
    r"(?:지만|는데|은데|ㄴ데|던데|었는데|했는데|인데|다만|그런데|근데|그래도|덕분|해결|바로|금방|빨리|다시 (?:만들|보내)|돌려받|정상)",
    r"\b(?:but|though|although|however|yet|then|still|sorted|fixed|resolved|resolving|refunded|replaced|replacement|upgraded|credited|apologi[sz]ed|came back|came through|restored|found it)\b",
)


# Problem words that also occur in plain questions and in praise ("보통 얼마나 걸려요?", "how
# long is the wait", "didn't rush me", "no line at all"): they make a complaint only when the
# sentiment is negative.
_WEAK = _rx(
    r"^(?:걸려요|걸렸|걸리네|웨이팅|중복|이중|차액|없었|없네|없어요|없습니다|없음|않(?:았|아|고|습|네)|안 ?(?:되|돼|됐)|안되|안돼|취소됐|취소되었|문제|사과)$",
    r"^(?:hours?|[0-9]+ ?(?:minutes|mins|days|weeks)|wait(?:ing)? \w+|waited|fees?|instead|without|late|cancell?ed|charged|double|again|nothing"
    r"|(?:has|have|had|did|does|do|is|are|was|were|could|can|wo|would)n'?t|(?:cant|didnt|doesnt|wont|isnt|wasnt|havent|hasnt|couldnt)|sorted|fix\w*|apologi[sz]ed|still \w+|no one|nobody)$",
)


@dataclass(frozen=True)
class FeedbackType:
    name: str
    confidence: float
    evidence: tuple[Evidence, ...]


def _matches(text: str, pattern: re.Pattern[str]) -> list[Evidence]:
    found = []
    for match in pattern.finditer(text):
        start, end = match.span()
        piece = text[start:end]
        # an opener match may start at the punctuation before it: point at the words
        lead = len(piece) - len(piece.lstrip(" .!?,:;\n"))
        if piece == "?" or piece.strip(" .!?,:;\n"):
            if piece != "?":
                start += lead
                piece = piece[lead:]
            found.append(Evidence(start, end, piece, 1.0))
    return found


def _outside(found: list[Evidence], spans: list[Evidence]) -> list[Evidence]:
    """The evidence that lies in none of ``spans``."""
    return [e for e in found if not any(s.start <= e.start < s.end for s in spans)]


def _kind(name: str, evidence: list[Evidence]) -> FeedbackType | None:
    if not evidence:
        return None
    return FeedbackType(name, 0.8 if len(evidence) == 1 else 0.9, tuple(evidence[:3]))


def _questions(text: str) -> list[Evidence]:
    asked = _matches(text, _QUESTION)
    return _outside(asked, _matches(text, _RHETORICAL)) if asked else asked


def _praise_cues(text: str) -> list[Evidence]:
    found = _matches(text, _PRAISE)
    return _outside(found, _matches(text, _NOT_PRAISE)) if found else found


@dataclass(frozen=True)
class TypeScan:
    """What the cue rules (``sentiment.CUE_NAMES``) find in one text: scanned once, read by
    the meaning head's cues and by the types."""

    question: tuple[Evidence, ...]  # the asked ones, rhetorical questions left out
    suggestion: tuple[Evidence, ...]
    bug: tuple[Evidence, ...]
    problem: tuple[Evidence, ...]  # every problem cue, the weak ones too


def scan_types(text: str) -> TypeScan:
    return TypeScan(
        question=tuple(_questions(text)),
        suggestion=tuple(_matches(text, _SUGGESTION)),
        bug=tuple(_matches(text, _BUG)),
        problem=tuple(_matches(text, _PROBLEM)),
    )


def _praise(
    text: str, sentiment: Sentiment, problem: list[Evidence], asks: bool
) -> FeedbackType | None:
    cues = _praise_cues(text)
    positive = sentiment.label == "positive" and sentiment.confidence >= SURE
    if asks and not positive and all(_THANKS.fullmatch(e.text) for e in cues):
        cues = []  # "배송지 변경 가능한가요? 감사합니다": a polite close, not praise
    if problem and not positive and not _TURN.search(text):
        cues = []  # "Love how it logs me out every time": sarcasm, not praise
    # the sentiment alone does not make a question or a suggestion praise
    if positive and (cues or not (problem or asks)):
        return FeedbackType(
            "praise", round(sentiment.confidence, 4), tuple((cues + list(sentiment.evidence))[:3])
        )
    return _kind("praise", cues)


def _problems(text: str, sentiment: Sentiment, asks: bool, found: list[Evidence]) -> list[Evidence]:
    """The problem cues (``found``) that count: the weak ones in a question, a suggestion or
    praise only when the sentiment is negative or, beside praise, after a turn ("늦었지만 ...
    감사")."""
    if sentiment.label == "negative" and sentiment.confidence >= SURE:
        return found
    positive = sentiment.label == "positive" and sentiment.confidence >= SURE
    if asks or (positive and not _TURN.search(text)):
        return [e for e in found if not _WEAK.search(e.text.strip())]
    return found


def _complaint(
    sentiment: Sentiment, problem: list[Evidence], bug: list[Evidence], asks: bool
) -> FeedbackType | None:
    # a question or a suggestion is a complaint when it names a problem, not by its tone alone
    if (
        sentiment.label == "negative"
        and sentiment.confidence >= SURE
        and (problem or bug or not asks)
    ):
        evidence = (bug + problem + list(sentiment.evidence))[:3]
        return FeedbackType("complaint", max(round(sentiment.confidence, 4), 0.8), tuple(evidence))
    return _kind("complaint", bug + problem)


def feedback_types(
    text: str, tokens: list[Token], sentiment: Sentiment, *, scan: TypeScan | None = None
) -> tuple[FeedbackType, ...]:
    """The types that hold for ``text``, most confident first; each names its evidence (the
    words, or for praise and complaint made by the sentiment alone, the sentiment's words).
    ``tokens`` is not read: the rules match the raw text, misspellings and missing spaces
    included. ``scan`` is ``scan_types(text)`` when the caller has it already."""
    scan = scan or scan_types(text)
    bug, suggestion, question = list(scan.bug), list(scan.suggestion), list(scan.question)
    asks = bool(suggestion or question)
    problem = _problems(text, sentiment, asks, list(scan.problem))
    found = [
        _praise(text, sentiment, problem + bug, asks),
        _complaint(sentiment, problem, bug, asks),
        _kind("suggestion", suggestion),
        _kind("question", question),
        _kind("bug", bug),
    ]
    return tuple(sorted((t for t in found if t is not None), key=lambda t: -t.confidence))


def type_cues(text: str, *, scan: TypeScan | None = None) -> tuple[float, ...]:
    """Whether the question, suggestion, bug and problem rules fire (1.0) or not (0.0), in the
    order of ``sentiment.CUE_NAMES``: inputs of the meaning head, which learns what they say
    about the sentiment (a question without a problem is neutral; a bug is a complaint).
    ``scan`` is ``scan_types(text)`` when the caller has it already."""
    scan = scan or scan_types(text)
    return tuple(1.0 if getattr(scan, name) else 0.0 for name in CUE_NAMES)
