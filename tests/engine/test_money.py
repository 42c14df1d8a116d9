"""Money in sentences and spelled-out numbers, checked against amounts worked out by hand.

Several phrasings come from real AMI meetings (``../shared/eval/text/ami_qmsum``), where
prices are spoken: "twelve Euros fifty", "seventeen fifty Euro per remote", "sixteen,
seventeen pounds".
"""

from __future__ import annotations

import pytest

from engine.money import (
    Money,
    find_figures,
    find_money,
    in_currency,
    in_thousands,
    main_currency,
    words_to_number,
)

# (text, [(amount, currency, per), ...])
MONEY: list[tuple[str, list[tuple[float, str | None, str | None]]]] = [
    ("We could do it for $12k.", [(12_000, "USD", None)]),
    ("It's a $1.2M deal.", [(1_200_000, "USD", None)]),
    ("about 1.2 million dollars", [(1_200_000, "USD", None)]),
    ("twelve thousand dollars", [(12_000, "USD", None)]),
    ("€25 per unit", [(25, "EUR", "unit")]),
    ("25 euros", [(25, "EUR", None)]),
    ("twenty five Euro", [(25, "EUR", None)]),
    ("twenty-five Euros", [(25, "EUR", None)]),
    ("12.50 EUR", [(12.5, "EUR", None)]),
    ("£300", [(300, "GBP", None)]),
    ("300 pounds", [(300, "GBP", None)]),
    ("fifty bucks", [(50, "USD", None)]),
    ("fifteen quid", [(15, "GBP", None)]),
    ("10 grand", [(10_000, None, None)]),
    ("$40 per seat per month", [(40, "USD", "seat/month")]),
    ("$40/user/mo", [(40, "USD", "user/month")]),
    ("99 dollars a month", [(99, "USD", "month")]),
    ("5 euros each", [(5, "EUR", "unit")]),
    ("2,000 dollars annually", [(2_000, "USD", "year")]),
    ("twelve point five Euros", [(12.5, "EUR", None)]),
    ("point two Euros", [(0.2, "EUR", None)]),
    ("$1,200", [(1_200, "USD", None)]),
    ("a hundred and fifty thousand dollars", [(150_000, "USD", None)]),
    ("USD 500", [(500, "USD", None)]),
    ("CHF 100", [(100, "CHF", None)]),
    ("C$40", [(40, "CAD", None)]),
    ("40 canadian dollars", [(40, "CAD", None)]),
    ("25€", [(25, "EUR", None)]),
    ("1000 yen", [(1_000, "JPY", None)]),
    ("₹500", [(500, "INR", None)]),
    ("Rs. 500", [(500, "INR", None)]),
    ("three francs", [(3, "CHF", None)]),
    ("sixteen cents per share", [(0.16, None, "share")]),
    ("Fifty Euro cents", [(0.5, "EUR", None)]),
    ("fifty pence", [(0.5, "GBP", None)]),
    ("a dollar", [(1, "USD", None)]),
    ("half a Euro", [(0.5, "EUR", None)]),
    ("point five of a Euro", [(0.5, "EUR", None)]),
    # spoken prices
    ("we're trying to make it for twelve Euros fifty", [(12.5, "EUR", None)]),
    ("two Euros and thirty cents", [(2.3, "EUR", None)]),
    ("seventeen fifty Euro per remote", [(17.5, "EUR", "remote")]),
    ("twelve fifty Euros per per unit", [(12.5, "EUR", "unit")]),
    ("nineteen ninety nine dollars", [(19.99, "USD", None)]),
    ("twelve and a half pounds", [(12.5, "GBP", None)]),
    ("fifty million Euros", [(50_000_000, "EUR", None)]),
    ("sixteen seventeen eighteen pounds", [(18, "GBP", None)]),
    ("It's about sixteen , seventeen pounds", [(17, "GBP", None)]),
    # ranges: two Money, low then high
    ("$10-15k", [(10_000, "USD", None), (15_000, "USD", None)]),
    ("$500-2k", [(500, "USD", None), (2_000, "USD", None)]),
    ("10 to 15 thousand dollars", [(10_000, "USD", None), (15_000, "USD", None)]),
    ("Thirty five to fifty Euros", [(35, "EUR", None), (50, "EUR", None)]),
    ("200 to $215 million", [(200_000_000, "USD", None), (215_000_000, "USD", None)]),
    ("call it thirty-five, forty grand a year", [(35_000, None, "year"), (40_000, None, "year")]),
    (
        "between a hundred and eighty and two hundred and fifty thousand euros",
        [(180_000, "EUR", None), (250_000, "EUR", None)],
    ),
    ("between four and six dollars per employee", [(4, "USD", "employee"), (6, "USD", "employee")]),
    ("between the team and 500 dollars", [(500, "USD", None)]),
    ("in 2019, 500 dollars", [(500, "USD", None)]),
    # a comma joins a range's two figures, not a year, a label or a list
    ("Back in 2019, fifty thousand dollars was the budget.", [(50_000, "USD", None)]),
    ("Year one, forty thousand dollars, then forty-five.", [(40_000, "USD", None)]),
    ("Option 2, 300 dollars a month.", [(300, "USD", "month")]),
    ("twelve, 1500 dollars", [(1_500, "USD", None)]),
    ("fifty, sixty thousand dollars", [(50_000, "USD", None), (60_000, "USD", None)]),
    ("between you and me, it's between 40 and 50 dollars", [(40, "USD", None), (50, "USD", None)]),
    # a figure after a price word: no currency said
    ("the budget is a hundred and fifty thousand", [(150_000, None, None)]),
    ("it costs us about 5k a month", [(5_000, None, "month")]),
    ("the production cost is twelve fifty .", [(12.5, None, None)]),
    ("We have a budget of twelve fifty per product .", [(12.5, None, "product")]),
    # several in one sentence, in order
    (
        "Twelve Euros, what's that, like eight pounds or nine",
        [(12, "EUR", None), (8, "GBP", None)],
    ),
]


@pytest.mark.parametrize(("text", "expected"), MONEY)
def test_find_money(text: str, expected: list[tuple[float, str | None, str | None]]) -> None:
    found = find_money(text)
    assert [(m.amount, m.currency, m.per) for m in found] == expected
    for m in found:
        assert text[m.start : m.end] == m.text


def test_the_table_is_large() -> None:
    assert len(MONEY) >= 30


def test_money_spans() -> None:
    text = "Pricing is $40 per seat per month, or 12.50 EUR for a day pass."
    assert find_money(text) == [
        Money(40.0, "USD", "$40 per seat per month", 11, 33, "seat/month"),
        Money(12.5, "EUR", "12.50 EUR", 38, 47, None),
    ]


def test_a_range_shares_its_span() -> None:
    low, high = find_money("Budget is $10-15k.")
    assert (
        (low.text, low.start, low.end) == (high.text, high.start, high.end) == ("$10-15k", 10, 17)
    )


def test_a_spoken_list_points_at_the_number_that_is_the_amount() -> None:
    [money] = find_money("sixteen seventeen eighteen pounds")
    assert (money.text, money.start) == ("eighteen pounds", 18)


@pytest.mark.parametrize(
    "text",
    [
        "It grew 2.5 percent.",
        "fifty per cent of users",
        "three people joined",
        "in 2026 we grew",
        "see page 12",
        "we have 1,200 users",
        "it weighs 300 pounds",
        "300 pounds of steel",
        "a pound of coffee",
        "the cost is 3 times more",
        "we pay 2 people to do it",
        "the price in 2026",
        "the price is 2026",
        "a discount of 10 percent",
        "I think you pay half per remote .",
        "",
    ],
)
def test_not_money(text: str) -> None:
    assert find_money(text) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("twenty five", 25),
        ("a hundred and fifty thousand", 150_000),
        ("one hundred and five", 105),
        ("two thousand and five", 2_005),
        ("nineteen hundred", 1_900),
        ("one million two hundred thousand", 1_200_000),
        ("twelve point five", 12.5),
        ("point two", 0.2),
        ("point two five", 0.25),
        ("twelve and a half", 12.5),
        ("one and a half million", 1_500_000),
        ("half a million", 500_000),
        ("a dozen", 12),
        ("a couple", 2),
        ("forty-five", 45),
        ("zero", 0),
        ("1,200", 1_200),
        ("1.2 million", 1_200_000),
        ("12k", 12_000),
        ("ten lakh", 1_000_000),
    ],
)
def test_words_to_number(text: str, number: float) -> None:
    assert words_to_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "twelve fifty",
        "sixteen seventeen eighteen",
        "twenty twenty six",
        "thousand million",
        "a few",
        "hundred and",
        "banana",
        "",
    ],
)
def test_words_that_are_not_one_number(text: str) -> None:
    assert words_to_number(text) is None


def test_bare_figures_skip_what_the_caller_says_is_a_date() -> None:
    text = "Ten, or fifty a seat."
    assert [m.amount for m in find_figures(text)] == [10, 50]
    assert [m.amount for m in find_figures(text, avoid=[(0, 3)])] == [50]
    assert find_figures("Eight till twelve works.") == []


def test_main_currency_is_the_one_named_most_often() -> None:
    texts = ["It's forty euros.", "Or $50.", "Thirty euros a seat.", "Fine."]
    assert main_currency(texts) == "EUR"
    assert main_currency(["$5 or 5 euros"]) == "USD"  # a tie: the first named
    assert main_currency(["The budget is around 50k.", "Fine."]) is None


@pytest.mark.parametrize(
    ("amount", "earlier", "expected"),
    [
        (130, [145_000, 36_250], 130_000),  # "last year's renewal was a hundred and thirty"
        (85, [92_000, 92_400], 85_000),
        (52, [32, 24, 310_000], 52),  # nearer as said: a price per truck
        (130, [], 130),  # nothing said before: no guess
        (130, [5_000_000], 130),  # nothing near its thousands
        (130, [1_000, 30_000], 130),  # 130,000 is too far from both, 130 not near either
        (12.5, [12_000], 12.5),  # not a whole figure
        (5, [5_000], 5),  # under 10
        (1_200, [1_000_000], 1_200),  # over 999
    ],
)
def test_a_figure_is_read_in_thousands_when_the_calls_amounts_are(
    amount: float, earlier: list[float], expected: float
) -> None:
    assert in_thousands(amount, earlier) == expected


@pytest.mark.parametrize(
    ("said", "call_currency", "expected"),
    [
        ("fifty dollars", "AUD", "AUD"),  # a plain dollar in an Australian deal
        ("$50", "CAD", "CAD"),
        ("fifty US dollars", "AUD", "USD"),  # said as American
        ("US$50", "CAD", "USD"),
        ("fifty U.S. dollars", "AUD", "USD"),
        ("U.S.$50", "AUD", "USD"),
        ("fifty dollars per user", "AUD", "AUD"),  # "us" inside a word names nothing
        ("fifty dollars", "EUR", "USD"),  # a euro deal's dollars are still dollars
        ("fifty euros", "AUD", "EUR"),
        ("the budget is fifty thousand", "AUD", "AUD"),  # no currency said
        ("fifty dollars", None, "USD"),
    ],
)
def test_a_calls_currency_names_its_plain_dollars_and_its_unnamed_amounts(
    said: str, call_currency: str | None, expected: str
) -> None:
    [money] = find_money(said)
    assert in_currency(money, call_currency) == expected
