"""Writes bench/regions-21.toml: all 21 regions for a year, about 5.5 M calls.

A benchmark input, not a calibrated scenario: volumes are proportional to
2021 populations and each shift is staffed for the offered load of its busiest
hour with a square-root margin.
"""
import math
from pathlib import Path

POPULATION_THOUSANDS = [
    ("Stockholm", 2415), ("Västra Götaland", 1744), ("Skåne", 1389), ("Östergötland", 467),
    ("Uppsala", 395), ("Jönköping", 367), ("Halland", 336), ("Örebro", 305), ("Södermanland", 299),
    ("Dalarna", 288), ("Gävleborg", 287), ("Värmland", 283), ("Västmanland", 278),
    ("Västerbotten", 274), ("Norrbotten", 249), ("Kalmar", 246), ("Västernorrland", 245),
    ("Kronoberg", 203), ("Blekinge", 159), ("Jämtland Härjedalen", 131), ("Gotland", 61),
]
HOURLY = [0.9, 0.7, 0.5, 0.4, 0.4, 0.6, 1.2, 3.0, 5.2, 5.6, 5.2, 4.8,
          4.4, 4.4, 4.2, 4.0, 4.0, 4.2, 4.4, 4.4, 4.0, 3.2, 2.2, 1.4]
NATIONAL = ["Kalmar", "Dalarna", "Gävleborg", "Halland", "Jönköping", "Skåne", "Uppsala",
            "Västmanland", "Örebro", "Östergötland"]
CALLS_PER_YEAR = 5.5e6
HANDLE_MINUTES = 10


def nurses(calls_per_week, hours):
    """Offered load of the busiest hour, plus a square-root margin."""
    peak_share = max(HOURLY[h] for h in hours) / sum(HOURLY)
    load = calls_per_week / 7 * peak_share * HANDLE_MINUTES / 60
    return max(1, math.ceil(load + 0.5 * math.sqrt(load)))


def main():
    per_thousand = CALLS_PER_YEAR / 52 / sum(p for _, p in POPULATION_THOUSANDS)
    out = [f'''# Benchmark input, not a calibrated scenario (written by bench/regions_21.py):
# all 21 regions for one year, about 5.5 million calls. Volumes are proportional
# to 2021 populations; each shift is staffed for the offered load of its busiest
# hour (handle time {HANDLE_MINUTES} minutes) plus a square-root margin; the agreements
# are those of scenarios/national-10.toml.
name = "All 21 regions, one year (benchmark)"
start = "2024-01-01"
horizon = "52w"
warmup = "0m"
replications = 1
seed = 1177

[defaults]
handle_time = {{ dist = "lognormal", mean = "{HANDLE_MINUTES}m", cv = 0.7 }}
patience    = {{ dist = "exponential", mean = "20m" }}
redial      = {{ probability = 0.12, delay = {{ dist = "exponential", mean = "15m" }}, max_attempts = 3 }}
hourly_rate = [{", ".join(str(h) for h in HOURLY)}]
weekday_rate = [1.15, 1.0, 0.98, 0.97, 0.95, 0.95, 1.0]
''']
    for name, thousands in POPULATION_THOUSANDS:
        week = round(per_thousand * thousands)
        day, evening = nurses(week, range(7, 16)), nurses(week, range(16, 22))
        night = nurses(week, [22, 23, 0, 1, 2, 3, 4, 5, 6])
        out.append(f'''[[region]]
name = "{name}"
calls_per_week = {week}
shifts = [
  {{ days = "all", from = "07:00", to = "16:00", nurses = {day} }},
  {{ days = "all", from = "16:00", to = "22:00", nurses = {evening} }},
  {{ days = "all", from = "22:00", to = "07:00", nurses = {night} }},
]
''')
    members = ", ".join(f'"{n}"' for n in NATIONAL)
    out.append(f'''[[agreement]]
name = "national"
members = [{members}]
hours = ["Mon-Fri 07:00-16:00", "all 22:00-07:00"]
overflow_after = "4m"

[[agreement]]
name = "24/7"
members = ["Kalmar", "Halland", "Dalarna", "Jönköping", "Östergötland"]
hours = "always"
overflow_after = "4m"

[[agreement]]
name = "night-cover"
members = ["Kalmar", "Halland"]
hours = "all 22:00-07:00"
overflow_after = "0m"
''')
    Path(__file__).with_name("regions-21.toml").write_text("\n".join(out))


if __name__ == "__main__":
    main()
