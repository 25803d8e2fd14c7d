"""What a camera must carry for a video platform to open it: a GB/T 28181 channel id or a stream URL.

GB/T 28181 (公共安全视频监控联网系统信息传输、交换、控制技术要求), appendix D, coding rule A: a device's id is
20 decimal digits in four segments,

    centre code (8)    the monitoring centre's administrative division (GB/T 2260: province 2, city 2,
                       county 2) and its grassroots unit (2); unused places are 0
    industry code (2)  the sector that owns the device (00 社会治安路面接入, 01 社会治安社区接入, 04 交通路面接入,
                       08 城市管理接入, …: table D.3)
    type code (3)      what the device is: 111-130 recording and switching equipment (118 NVR), 131 camera
                       (摄像机), 132 network camera (网络摄像机), 133-139 other front-end peripherals, 200-299
                       platform servers, 300-399 centre users, 400-499 end users
    serial (7)         the 2016 edition reads its first digit as the network (0-4 监控报警专网, 5 公安信息网,
                       6 政务网, 7 Internet, 8 社会资源接入网, 9 reserved) and the last six as the serial

A camera's channel must be a camera: type 131 or 132. An id that is an NVR's (118) or a platform's (200) is the
commonest mistake when a register is copied from the platform's device tree, and is refused by name.
Only the structure is checked: the standard has no check digit, and whether the platform knows the id is
the platform's business.

A stream URL must be rtsp://, rtsps://, http:// or https:// with a host, and must not carry a user name or
password: every user who may see the camera would read them (the platform authenticates the viewer).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from geo.errors import InvalidCode, InvalidInput

CHANNEL_LENGTH = 20
CHANNEL_PATTERN = r"^[0-9]{20}$"
CAMERA_TYPES = {"131": "camera 摄像机", "132": "network camera 网络摄像机"}
# GB/T 2260 province-level codes (the first two digits of a division code).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
}
OTHER_TYPES = [
    (range(111, 131), "recording or switching equipment (DVR, encoder, decoder, matrix, alarm controller; 118 NVR)"),
    (range(133, 140), "a front-end peripheral that is not a camera (display, alarm or audio device)"),
    (range(140, 200), "an extension device type"),
    (range(200, 300), "a platform server (200 signalling server, 202 media server, 215 business group, "
                      "216 virtual organisation…)"),
    (range(300, 400), "a centre user"),
    (range(400, 500), "an end user"),
]
URL_SCHEMES = ("rtsp", "rtsps", "http", "https")
URL_MAX = 500
URL_TEXT = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces: what a player accepts


def check_channel_id(value: str, field: str = "channel_id") -> str:
    """The channel id as stored, or InvalidCode naming the segment that is wrong."""
    text = str(value).strip()
    if not (len(text) == CHANNEL_LENGTH and text.isascii() and text.isdigit()):
        raise InvalidCode(_("%(field)s %(value)r: a GB/T 28181 channel id is 20 digits (centre 8, industry 2, "
                            "type 3, serial 7); this has %(n)d characters%(digits)s")
                          % {"field": field, "value": text, "n": len(text),
                             "digits": "" if text.isascii() and text.isdigit() else _(", not only digits")},
                          field=field)
    province = text[:2]
    if province not in PROVINCES:
        raise InvalidCode(_("%(field)s %(value)s: its centre code %(centre)s does not start with a province "
                            "code (GB/T 2260: 11 Beijing … 41 Henan … 82 Macao)")
                          % {"field": field, "value": text, "centre": text[:8]}, field=field)
    if text[2:4] == "00" and text[4:8] != "0000":
        raise InvalidCode(_("%(field)s %(value)s: its centre code %(centre)s names a county or unit under no "
                            "city (digits 3-4 are 00); unused places are 0 only at the end")
                          % {"field": field, "value": text, "centre": text[:8]}, field=field)
    kind = text[10:13]
    if kind not in CAMERA_TYPES:
        number = int(kind)
        what = next((label for span, label in OTHER_TYPES if number in span), "not a device type of the standard")
        raise InvalidCode(_("%(field)s %(value)s: type code %(kind)s (digits 11-13) is %(what)s; a camera's "
                            "channel has type 131 (camera) or 132 (network camera)")
                          % {"field": field, "value": text, "kind": kind, "what": what}, field=field)
    return text


def check_stream_url(value: str, field: str = "stream_url") -> str:
    """The stream URL as stored, or InvalidInput saying what is wrong with it."""
    text = str(value).strip()
    if len(text) > URL_MAX:
        raise InvalidInput(_("%(field)s: at most %(n)d characters") % {"field": field, "n": URL_MAX}, field=field)
    if not URL_TEXT.fullmatch(text):
        raise InvalidInput(_("%(field)s %(value)r: a URL has no spaces or non-ASCII characters (percent-encode "
                             "them)") % {"field": field, "value": text[:80]}, field=field)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(_("%(field)s %(value)r: not a URL (%(error)s)")
                           % {"field": field, "value": text[:80], "error": exc}, field=field) from exc
    if parts.scheme.lower() not in URL_SCHEMES:
        raise InvalidInput(_("%(field)s %(value)r: the scheme must be rtsp, rtsps, http or https, not %(scheme)r")
                           % {"field": field, "value": text[:80], "scheme": parts.scheme or ""}, field=field)
    if not parts.hostname:
        raise InvalidInput(_("%(field)s %(value)r: no host") % {"field": field, "value": text[:80]}, field=field)
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(_("%(field)s: remove the user name and password from the URL; everyone who may see "
                             "the camera would read them (the video platform authenticates the viewer)")
                           % {"field": field}, field=field)
    if port == 0:
        raise InvalidInput(_("%(field)s %(value)r: port 0") % {"field": field, "value": text[:80]}, field=field)
    return text


def check_camera(channel_id: str | None, stream_url: str | None) -> tuple[str | None, str]:
    """(channel id or None, stream URL or ''): at least one, each valid."""
    channel = check_channel_id(channel_id) if channel_id not in (None, "") else None
    url = check_stream_url(stream_url) if stream_url not in (None, "") else ""
    if channel is None and not url:
        raise InvalidInput(_("a camera needs a GB/T 28181 channel id or a stream URL (rtsp/http/https)"),
                           field="channel_id")
    return channel, url


def make_channel_id(county: str, serial: int, *, industry: str = "00", kind: str = "132", network: str = "0") -> str:
    """A valid channel id under a county's division code (the demo loader's; grassroots unit 00)."""
    if not (len(county) == 6 and county.isdigit()):
        raise ValueError(f"county code {county!r}: 6 digits")
    return check_channel_id(f"{county}00{industry}{kind}{network}{serial:06d}")
