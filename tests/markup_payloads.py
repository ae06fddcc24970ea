"""Script and markup payloads, as a hostile or careless source writes them into a record.

One list for every place that needs them: ``conftest.py`` builds its hostile crawl from the
first four tuples (the tests pin what each page shows of them), and
``benchmarks/payloads.py`` places all of them in the url, title, outlet, author and text
of records and clicks through every page made from those. Kept apart from ``conftest`` so
that a script outside pytest can import the lists without pulling in fixtures.

Payloads that would run announce themselves two ways: ``alert``/``confirm``/``prompt``
open a dialog, and the others assign ``window.__xss`` (``MARKER``), which a browser test
can watch. ``TEMPLATE_PRODUCT`` is what ``{{1337*1337}}`` becomes if any layer evaluates
a stored value as a template.
"""

from __future__ import annotations

MARKER = "__xss"
TEMPLATE_PRODUCT = str(1337 * 1337)

# -- the crawl of conftest.hostile_records -------------------------------------------------
HOSTILE_URLS = (
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(document.domain)",
    " \x01javascript:alert(document.domain)",
    "java\nscript:alert(document.domain)",
    "data:text/html,<script>alert(document.domain)</script>",
    "vbscript:msgbox(document.domain)",
)
SAFE_URLS = ("https://courier.example/harbour?a=1&b=%22x%22", "HTTP://Caps.Example/wall")
HOSTILE_OUTLETS = (
    "Pulse/24 #1",
    "50% Off? News",
    "Ørsted Tidende",
    "<script>alert('outlet')</script> Daily",
    "Quote\" & 'Gazette'",
    "Tide Times",
    "Plain Courier",
    "Caps Wire",
)
HOSTILE_TITLES = (
    "<script>alert('title')</script> Harbour wall gives way",
    '<img src=x onerror="alert(1)"> Harbour wall falls',
    '" onmouseover="alert(2)" x="',
    "'><svg onload=alert(3)>",
    "</script><script>alert(4)</script>",
    "Harbour wall: the night it fell",
    "Harbour wall collapses at Kessmouth",
    "HARBOUR WALL DOWN",
)

# -- urls: a scheme that runs code, hidden by case, blanks, controls or encodings ----------
SCRIPT_URLS = (
    *HOSTILE_URLS,
    "javascript:window.__xss=1",
    "JAVASCRIPT:window.__xss=2",
    "\tjavascript:window.__xss=3",
    "\x00javascript:window.__xss=4",
    "java\tscript:window.__xss=5",
    "java\rscript:window.__xss=6",
    "\u200bjavascript:window.__xss=7",
    "javascript://news.example/%0Awindow.__xss=8",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9OTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(10)</script>",
    "vbscript:window.__xss=11",
    # http(s), so they do become links: what is after the host must stay inside the href
    'https://news.example/"><img src=x onerror="window.__xss=12">',
    "https://news.example/'onmouseover='window.__xss=13'",
    "https://news.example/?q=</a><script>alert(14)</script>",
    "https://a\u202eelpmaxe.com/",  # a right-to-left override in the host
)

# -- markup and template text: titles, outlets, authors, bodies ----------------------------
MARKUP = (
    "<script>alert(1)</script>",
    "<script>window.__xss=1</script>",
    '"><img src=x onerror=alert(1)>',
    '<img src=x onerror="window.__xss=1">',
    "'><svg onload=alert(1)>",
    "<svg/onload=window.__xss=1>",
    "</script><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</textarea><script>window.__xss=1</script>",
    "</style><script>window.__xss=1</script>",
    '" onmouseover="alert(2)" x="',
    "' autofocus onfocus='window.__xss=1",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<a href=javascript:alert(1)>read more</a>",
    '<a href="JaVaScRiPt:window.__xss=1">full story</a>',
    '<div style="width: expression(alert(1))">wide</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    "<embed src=javascript:window.__xss=1>",
    "<body onload=alert(1)>",
    "<details open ontoggle=window.__xss=1>",
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<input autofocus onfocus=window.__xss=1>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="9" y="9">map</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mtext></math>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--<img src=x onerror=alert(1)>-->",
    "]]><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\u2028alert(1)//",  # ends a line inside a script block that embeds the text raw
    "{{7*7}}",
    "{{1337*1337}}",
    "${1337*1337}",
    "{% for x in range(3) %}loop{% endfor %}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "Harbour \u202egnp.exe\u202c report",  # a right-to-left override in the text
    "javascript:alert(1)",
)
