#!/usr/bin/env python3
"""Flattens tests/fixtures/oracle/oracle-cases.json into whitespace-separated lines for the C test.

Nothing is computed here: every number is copied from the JSON file.

    tolerance T
    case NAME W H  TL(r g b) TR(r g b) BL(r g b) BR(r g b)  drawing hentai neutral porn sexy  \
         child_action child_category teen_action teen_category adult_action adult_category
    faulty PACK NAME W H  TL TR BL BR  ok|error

A solid image has the same colour in all four quadrants; a missing category is written "-".
"""
import json
import sys


def quadrants(image):
    if image["kind"] == "solid":
        return [image["rgb"]] * 4
    return [image["top_left"], image["top_right"], image["bottom_left"], image["bottom_right"]]


def main(path):
    with open(path) as f:
        data = json.load(f)
    print("tolerance", data["score_tolerance"])
    labels = ["drawing", "hentai", "neutral", "porn", "sexy"]
    for case in data["cases"]:
        fields = ["case", case["name"], case["width"], case["height"]]
        fields += [v for q in quadrants(case["image"]) for v in q]
        fields += [repr(case["expected_scores"][label]) for label in labels]
        for preset in ("child", "teen", "adult"):
            want = case["expected"][preset]
            fields += [want["action"], want["category"] or "-"]
        print(" ".join(str(x) for x in fields))
    for case in data["faulty"]:
        fields = ["faulty", case["pack"], case["name"], case["width"], case["height"]]
        fields += [v for q in quadrants(case["image"]) for v in q]
        fields += [case["expect"]]
        print(" ".join(str(x) for x in fields))


if __name__ == "__main__":
    main(sys.argv[1])
