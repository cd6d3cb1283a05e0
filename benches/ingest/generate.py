#!/usr/bin/env python3
"""Write a Wazuh alerts.json-style file of a given size for the ingest benchmark.

Alerts are variations of real alert shapes (SSH brute force, file integrity, web attack):
each gets a unique id and a timestamp 0.1 s after the previous one. 1,500 attacker IPs each
target one agent with one rule, so the alerts group into about 1,500 incidents under the
default dedupe key (rule id, agent id, source IP); each monitored file has four versions. Usage: generate.py OUTPUT SIZE_MB
"""

import json
import random
import sys
from datetime import datetime, timedelta, timezone

TEMPLATES = [
    {"rule": {"level": 10, "description": "sshd: brute force trying to get access to the system. Non existent user.", "id": "5712",
              "mitre": {"id": ["T1110"], "tactic": ["Credential Access"], "technique": ["Brute Force"]},
              "groups": ["syslog", "sshd", "authentication_failures"]},
     "decoder": {"parent": "sshd", "name": "sshd"}, "location": "/var/log/auth.log",
     "full_log": "May 11 12:29:18 localhost sshd[17584]: Invalid user {user} from {ip} port 56404",
     "data": {"srcip": "{ip}", "srcport": "56404", "srcuser": "{user}"}},
    {"rule": {"level": 7, "description": "Integrity checksum changed.", "id": "550", "mitre": {"id": ["T1565.001"]},
              "groups": ["ossec", "syscheck", "syscheck_entry_modified"]},
     "location": "syscheck",
     "syscheck": {"path": "/etc/app/{user}.conf", "md5_after": "{md5}", "sha1_after": "{sha1}", "sha256_after": "{sha256}",
                  "event": "modified"}},
    {"rule": {"level": 7, "description": "SQL injection attempt.", "id": "31103", "mitre": {"id": ["T1190"]},
              "groups": ["web", "accesslog", "attack", "sql_injection"]},
     "location": "/var/log/nginx/access.log",
     "full_log": "{ip} - - [12/May/2023:17:12:15 +0300] \"GET /users/?id=SELECT+*+FROM+users HTTP/1.1\" 200 615",
     "data": {"protocol": "GET", "srcip": "{ip}", "id": "200", "url": "/users/?id=SELECT+*+FROM+users"}},
]


def fill(value, values):
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, str):
        for key, replacement in values.items():
            value = value.replace("{" + key + "}", replacement)
    return value


def main():
    output, size_mb = sys.argv[1], float(sys.argv[2])
    attackers = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    target = int(size_mb * 1024 * 1024)
    rng = random.Random(7)
    ips = [f"203.0.{n // 250}.{n % 250 + 1}" for n in range(attackers)]
    # Each monitored file cycles through four versions, so file hashes repeat as they do when
    # a configuration file is changed back and forth.
    hashes = [
        [(f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(160):040x}", f"{rng.getrandbits(256):064x}") for _ in range(4)]
        for _ in range(500)
    ]
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    written = 0
    number = 0
    with open(output, "w") as handle:
        while written < target:
            number += 1
            attacker = rng.randrange(len(ips))
            template = TEMPLATES[attacker % len(TEMPLATES)]
            version = hashes[attacker % 500][rng.randrange(4)]
            values = {
                "ip": ips[attacker],
                "user": f"user{attacker % 200}",
                "md5": version[0],
                "sha1": version[1],
                "sha256": version[2],
            }
            alert = fill(template, values)
            time = start + timedelta(milliseconds=number * 100)
            agent = attacker % 40
            alert = {
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                "rule": alert["rule"],
                "agent": {"id": f"{agent:03d}", "name": f"host-{agent}", "ip": f"10.0.0.{agent + 1}"},
                "manager": {"name": "wazuh-manager"},
                # Wazuh's alert ids are `<Unix seconds of the alert>.<number>`.
                "id": f"{int(time.timestamp())}.{number}",
                **{k: v for k, v in alert.items() if k != "rule"},
            }
            line = json.dumps(alert, separators=(",", ":")) + "\n"
            handle.write(line)
            written += len(line)
    print(f"wrote {number} alerts, {written} bytes to {output}")


if __name__ == "__main__":
    main()
