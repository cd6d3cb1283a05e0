#!/usr/bin/env python3
"""Writes a synthetic log of mixed SOC sources with a realistic density of indicators.

Usage: gen_log.py OUTPUT SIZE_MB [SEED]

Lines imitate web access logs (30%), firewall drops (20%), DNS queries (12%), JSON alerts
(13%), Sysmon process events (10%), analyst notes (8%) and application lines without
indicators (7%). Two notes in five carry a defanged URL or address, as threat reports pasted
into notes do.
"""

import random
import sys

WORDS = ("alpha beta gamma delta update service client session request token agent "
         "backup report invoice payload loader beacon stage admin portal cdn static").split()
TLDS = ["com", "net", "org", "ru", "cn", "io", "info", "xyz", "top", "de", "co.uk", "biz"]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "curl/8.4.0",
    "python-requests/2.31.0",
]


def ip(rng):
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


def private_ip(rng):
    return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def domain(rng):
    labels = [rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(rng.randint(1, 3))]
    return ".".join(labels) + "." + rng.choice(TLDS)


def hexstr(rng, n):
    return "%0*x" % (n, rng.getrandbits(n * 4))


def url(rng):
    path = "/".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
    return f"{rng.choice(['http', 'https'])}://{domain(rng)}/{path}.{rng.choice(['php', 'html', 'js', 'exe'])}?id={rng.randint(1, 99999)}"


def defang(value):
    return value.replace("http", "hxxp", 1).replace(".", "[.]")


def line(rng):
    kind = rng.random()
    ts = f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    if kind < 0.30:
        return (f'{ip(rng)} - - [{ts}] "GET /{rng.choice(WORDS)}/{rng.choice(WORDS)}.php?q={rng.randint(1, 999)} HTTP/1.1" '
                f'{rng.choice([200, 301, 404, 500])} {rng.randint(100, 99999)} "{url(rng)}" "{rng.choice(UAS)}"')
    if kind < 0.50:
        return (f"{ts} fw01 kernel: DROP IN=eth0 OUT= SRC={ip(rng)} DST={private_ip(rng)} LEN={rng.randint(40, 1500)} "
                f"PROTO=TCP SPT={rng.randint(1024, 65535)} DPT={rng.choice([22, 80, 443, 3389, 445])}")
    if kind < 0.62:
        return f"{ts} dns01 named[812]: client {private_ip(rng)}#53211: query: {domain(rng)} IN A +E ({private_ip(rng)})"
    if kind < 0.75:
        return ('{"timestamp":"%s","rule":{"id":"%d","level":%d},"agent":{"name":"wks-%03d","ip":"%s"},'
                '"data":{"srcip":"%s","url":"%s","sha256":"%s","user":"user%d@corp-%d.com"}}'
                % (ts, rng.randint(1000, 99999), rng.randint(3, 15), rng.randint(1, 999), private_ip(rng),
                   ip(rng), url(rng), hexstr(rng, 64), rng.randint(1, 500), rng.randint(1, 9)))
    if kind < 0.85:
        return (f"{ts} WIN-{rng.randint(100, 999)} Sysmon EventID=1 Image=C:\\Users\\user{rng.randint(1, 50)}\\AppData\\Local\\Temp\\"
                f"{rng.choice(WORDS)}.exe Hashes=MD5={hexstr(rng, 32)},SHA1={hexstr(rng, 40)} "
                f"ParentImage=C:\\Windows\\System32\\cmd.exe")
    if kind < 0.93:
        value = url(rng) if rng.random() < 0.5 else ip(rng)
        if rng.random() < 0.4:
            value = defang(value)
        return f"{ts} analyst note: observed beacon to {value}, see CVE-2024-{rng.randint(1000, 49999)} and AS{rng.randint(1000, 65000)}"
    return f"{ts} app[{rng.randint(100, 9999)}]: worker {rng.randint(1, 64)} finished job {rng.randint(1, 10**6)} in {rng.random():.3f}s version 4.2.{rng.randint(0, 9)}"


def main():
    output, size_mb = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    limit = size_mb * 1024 * 1024
    written = 0
    with open(output, "w", encoding="utf-8") as out:
        while written < limit:
            chunk = "\n".join(line(rng) for _ in range(1000)) + "\n"
            out.write(chunk)
            written += len(chunk)


if __name__ == "__main__":
    main()
