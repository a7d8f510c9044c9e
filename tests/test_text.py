"""Counts and numbers as a person reads them."""

import pytest

from embedstudio.text import count, number_text, plural, round_figures


@pytest.mark.parametrize("noun, many", [("type", "types"), ("dimension", "dimensions"), ("entity", "entities"),
                                        ("class", "classes"), ("match", "matches"), ("key", "keys"),
                                        ("box", "boxes"), ("neutral word", "neutral words")])
def test_plural(noun, many):
    assert plural(noun) == many


def test_count_is_singular_for_one_only_and_separates_thousands():
    assert count(1, "type") == "1 type"
    assert count(32, "dimension") == "32 dimensions"
    assert count(0, "match") == "0 matches"
    assert count(11754, "word") == "11,754 words"
    assert count(2, "person", "people") == "2 people" and count(1, "person", "people") == "1 person"


def test_round_figures_and_number_text_never_print_exponents_for_everyday_numbers():
    assert round_figures(8.375) == 8.4 and round_figures(23456) == 23000 and round_figures(0.1234) == 0.12
    assert round_figures(0.0) == 0.0
    assert number_text(23000.0) == "23,000" and number_text(1234567) == "1,234,567"
    assert number_text(0.25) == "0.25" and number_text(3.14159) == "3.14" and number_text(-2.0) == "-2"
    assert number_text(1234.6) == "1,235"
    assert "e" not in number_text(123456.7) and "e" not in number_text(0.00123)


def test_the_cli_says_1_relation_and_writes_dimensions_out(tmp_path, capsys):
    from embedstudio.cli import main

    edges = tmp_path / "one-relation.tsv"  # a plain edge list: one relation, one entity type
    edges.write_text("".join(f"n{i}\tn{(i * 7 + 1) % 40}\n" for i in range(120)))
    code = main(["graph", str(edges), "-o", str(tmp_path / "m.esgraph"), "--dim", "8", "--epochs", "1",
                 "--threads", "1", "--test", "0"])
    assert code == 0
    said = capsys.readouterr()
    assert "of 1 type, 1 relation, 120 edges" in said.err, said.err
    assert "8 dimensions, 1 relation," in said.out, said.out
