"""A tiny collection for comparing passages: three countries' frameworks (and one of two countries),
a report whose running header alone says the query word, a record known by its metadata only, and
a title a spreadsheet would read as a formula."""
from __future__ import annotations

from web_world import Pub

HEADER = "Stackable Futures Series"

PUBLICATIONS = [
    Pub("ireland-framework", "Micro-credentials in Ireland: a national framework", 2023, "policy", "framework",
        ["Ireland"], "Higher Education Authority",
        ["National framework for short courses in Ireland.",
         ("Awards are stackable towards a major award on the national framework. Quality assurance is\n"
          "required of every provider, e.g. in universities."),
         "Quality matters to learners, and assurance of it follows."]),
    Pub("australia-framework", "Australian Qualifications Framework and microcredentials", 2021, "policy",
        "framework", ["Australia"], "Department of Education",
        [("Microcredentials may be stackable into qualifications under the AQF. The quality of providers and\n"
          "their assurance processes vary."), "Funding is set out by each state."]),
    Pub("new-zealand-framework", "New Zealand micro-credential framework", 2020, "policy", "framework",
        ["New Zealand"], "NZQA",
        ["A micro-credential is not stackable by default. Providers decide how credits count."]),
    Pub("trans-tasman", "Trans-Tasman recognition of short courses", 2022, "policy", "framework",
        ["Australia", "New Zealand"], "Trans-Tasman Council",
        ["Both countries agree that stackable short courses are recognised on either side."]),
    Pub("header-report", "Apprenticeship outcomes report", 2022, "report", "report", ["Europe"], "Skills Agency",
        [f"{HEADER}\nApprenticeships grew in every region.\nPage 1",
         f"{HEADER}\nEmployers value apprenticeships highly.\nPage 2",
         f"{HEADER}\nTraining budgets rose for apprenticeships.\nPage 3",
         f"{HEADER}\nApprenticeships lead to jobs.\nPage 4"]),
    Pub("catalogue-only", "Short course catalogue of a university", 2021, "report", "report", ["Ireland"],
        "University Press", summary="A list of stackable short courses."),
    Pub("formula-title", "=HYPERLINK(\"http://x\") stackable pathways", 2020, "article", "commentary", ["Europe"],
        None, ["Pathways that are stackable | piped and *starred* <b>words</b>."]),
]
