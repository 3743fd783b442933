"""Closed vocabularies shared by the schemas and the code (a test keeps them equal)."""

PLATFORMS: tuple[str, ...] = (
    "douyin",
    "xiaohongshu",
    "weibo",
    "kuaishou",
    "bilibili",
    "wechat_channels",
    "tiktok",
    "instagram",
    "youtube",
    "generic",
)

# Post alerts on tracker.alerts.v1, in the order lists show them.
ALERT_TYPES: tuple[str, ...] = ("PostDecaying", "PostUnavailable", "PostStalled", "SuspiciousEngagement")

# Counter names of a snapshot, in display order; None means "not exposed", never 0.
METRICS: tuple[str, ...] = ("views", "likes", "comments", "shares", "saves", "searches")

# ISO 4217 currency codes in use (and a few recently replaced, for old records). Typed input
# (imports, `tracker costs`, `tracker heat`, sales) is checked against them, so that "RMB" is
# refused with a hint instead of becoming an amount with no FX rate.
_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR
ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL
THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF
XAG XAU XCD XCG XDR XOF XPD XPF XPT YER ZAR ZMW ZWG ZWL
"""
CURRENCIES: frozenset[str] = frozenset(_ISO_4217.split())

CURRENCY_HINTS: dict[str, str] = {"RMB": "CNY", "CNH": "CNY", "YUAN": "CNY", "NTD": "TWD", "US$": "USD",
                                  "HK$": "HKD", "YEN": "JPY", "WON": "KRW", "EURO": "EUR"}
"""What people write for a currency, and its ISO code."""
