"""Keeping secrets out of logs and the archive: Apprise URLs with their tokens masked, error messages scrubbed, channel names that reveal nothing."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, unquote


# Path words and query keys that never carry a secret; everything else is redacted.
_SAFE_PATH_WORDS = frozenset({"api", "v1", "v2", "v3", "services", "hooks", "hook", "webhook", "webhooks",
                              "notify", "message", "messages", "send", "json", "xml", "form"})


_SAFE_QUERY_KEYS = frozenset({"format", "overflow", "image", "mode", "priority", "method", "verify", "cto", "rto",
                              "avatar", "footer", "batch", "silent", "preview", "detect", "content", "mdv",
                              "retry", "wait", "optional", "emojis", "discovery", "tz", "lang", "notify_type"})


_HOST_RE = re.compile(r"localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]"
                      r"|(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.S)


_MASK = "***"


def _redaction(url: str) -> tuple[str, list[str]]:
    """The URL with its secrets masked, and the secrets themselves (to scrub messages)."""
    match = _SCHEME_RE.fullmatch(url.strip())
    if not match:
        return _MASK, [url.strip()] if url.strip() else []
    scheme, rest = match.groups()
    secrets: list[str] = []

    def mask(value: str) -> str:
        if value:
            secrets.append(value)
        return _MASK if value else value

    rest, hash_sign, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if at:
        secrets += [part for part in re.split(r"[:]", userinfo) if part]
        userinfo = mask(userinfo)
    host, port = hostport, ""
    if not host.endswith("]") and ":" in host and host.rpartition(":")[2].isdigit():
        host, _, port = host.rpartition(":")
    if host and not _HOST_RE.fullmatch(host):
        host = mask(hostport)
        port = ""
    out = f"{scheme.lower()}://" + (f"{userinfo}@" if at else "") + host + (f":{port}" if port else "")
    if slash:
        out += "/" + "/".join(seg if (not seg or seg.lower() in _SAFE_PATH_WORDS) else mask(seg)
                              for seg in path.split("/"))
    if question:
        pairs = []
        for pair in query.split("&"):
            key, eq, value = pair.partition("=")
            keep = key.lower() in _SAFE_QUERY_KEYS or not value
            pairs.append(key + eq + (value if keep else mask(value)))
        out += "?" + "&".join(pairs)
    if hash_sign:
        out += "#" + mask(fragment)
    return out, secrets


def redact_url(url: str) -> str:
    """An Apprise (or any) URL fit for logs: scheme, host names and harmless options stay;
    user names, passwords, tokens in the host or path, query values and fragments become ***.

    >>> redact_url("tgram://123456789:AAHdqTcv/12345")
    'tgram://***/***'
    >>> redact_url("mailtos://me:pw@smtp.example.org:465/?to=x@example.org&format=text")
    'mailtos://***@smtp.example.org:465/?to=***&format=text'
    """
    return _redaction(url)[0]


def scrub(message: str, url: str) -> str:
    """`message` on one line, with every secret of `url` (raw or %-encoded) replaced by ***."""
    _, secrets = _redaction(url)
    variants = {v for s in secrets if len(s) >= 3 for v in (s, quote(s, safe=""), unquote(s))}
    for secret in sorted(variants, key=len, reverse=True):
        message = message.replace(secret, _MASK)
    return " ".join(message.split())


def sink_name_for_url(url: str) -> str:
    """A stable, secret-free sink name; a short digest tells apart URLs that redact alike."""
    redacted, secrets = _redaction(url)
    if not secrets:
        return redacted
    return f"{redacted} [{hashlib.sha256(url.strip().encode('utf-8')).hexdigest()[:6]}]"
