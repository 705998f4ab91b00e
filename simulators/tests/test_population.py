"""The synthetic population: fast, deterministic, coherent, and holding the demo citizens exactly."""

from __future__ import annotations

import time
from datetime import date

from motcua.core.identifiers import validate_personal_id
from simulators.population import REFERENCE_DATE, Population, communes_of, generate


def test_100k_people_are_generated_well_within_a_minute_and_deterministically():
    # given a seed
    # when 100,000 people are generated
    started = time.perf_counter()
    population = generate(100_000, seed=22)
    elapsed = time.perf_counter() - started
    print(f"\n100,000 nhân khẩu sinh trong {elapsed:.2f} s ({len(population.households):,} hộ)")
    # then it is fast, exact in size, with unique valid numbers, and a small run is its prefix
    assert elapsed < 60
    assert len(population) == 100_000
    ids = [p.personal_id for p in population]
    assert len(set(ids)) == len(ids)
    for p in population:
        validate_personal_id(p.personal_id, birth_date=p.birth_date, gender=p.gender)
    small = generate(2_000, seed=22)
    assert [p.personal_id for p in small.people[:1_900]] == ids[:1_900]


def test_same_seed_gives_the_same_people_and_another_seed_does_not():
    first = [p.personal_id for p in generate(2_000, seed=22).people[:100]]
    again = [p.personal_id for p in generate(2_000, seed=22).people[:100]]
    other = [p.personal_id for p in generate(2_000, seed=7).people[:100]]
    assert first == again
    assert first != other


def test_every_number_is_valid_for_the_persons_birth_date_and_gender_and_unique(small_population: Population):
    ids = set()
    for p in small_population:
        validate_personal_id(p.personal_id, birth_date=p.birth_date, gender=p.gender)
        ids.add(p.personal_id)
    assert len(ids) == len(small_population) == 2_000
    # most were born-registered in Quảng Ninh, some elsewhere
    local = sum(p.personal_id.startswith("022") for p in small_population)
    assert 0.75 * len(ids) < local < len(ids)


def test_demo_citizens_have_exactly_their_facts(small_population: Population):
    pop = small_population
    an, bich = pop.by_id("022090001234"), pop.by_id("022192004567")
    assert (an.full_name, an.gender, an.birth_date) == ("Nguyễn Văn An", "nam", date(1990, 5, 14))
    assert (bich.full_name, bich.gender, bich.birth_date) == ("Trần Thị Bích", "nu", date(1992, 8, 21))
    assert an.spouse_id == bich.personal_id and bich.spouse_id == an.personal_id
    household = pop.household_of(an.personal_id)
    assert household is pop.household_of(bich.personal_id)
    assert household.head_id == an.personal_id
    assert household.permanent_residence.commune_code == "06652"
    assert household.permanent_residence.commune_name == "Phường Hà Tu"
    children = [m for m in pop.members(household) if m.relationship == "con"]
    assert children and all(c.father_id == an.personal_id and c.mother_id == bich.personal_id for c in children)

    chau = pop.by_id("022085007890")
    assert (chau.full_name, chau.gender, chau.birth_date) == ("Lê Hoàng Châu", "nam", date(1985, 2, 2))
    father = pop.by_id("022040000123")
    assert (father.full_name, father.birth_date.year) == ("Lê Văn Thành", 1940)
    assert father.deceased and father.date_of_death == date(2026, 11, 25)
    assert chau.father_id == father.personal_id
    assert father.household_id == chau.household_id and father.relationship == "bo"

    dieu = pop.by_id("022301000321")
    assert (dieu.full_name, dieu.gender, dieu.birth_date) == ("Phạm Thị Diệu", "nu", date(2001, 1, 1))


def test_households_are_coherent(small_population: Population):
    pop = small_population
    for h in pop.households:
        members = pop.members(h)
        # the head exists, is a member, and is the only head
        assert pop.by_id(h.head_id) is members[0]
        assert [m.relationship for m in members].count("chu_ho") == 1
        for m in members:
            assert m.household_id == h.household_id
            # parents are older than their children, spouses point at each other
            for parent_id in (m.father_id, m.mother_id):
                if parent_id:
                    assert pop.by_id(parent_id).birth_date < m.birth_date
            if m.spouse_id:
                assert pop.by_id(m.spouse_id).spouse_id == m.personal_id


def test_residences_are_real_communes_of_the_province(small_population: Population):
    real = {c.code: c.name for c in communes_of(22)}
    assert len(real) == 54
    used = set()
    for h in small_population.households:
        r = h.permanent_residence
        assert r.province_code == "22"
        assert real[r.commune_code] == r.commune_name
        assert r.address_line
        used.add(r.commune_code)
    for p in small_population:
        if p.temporary_residence:
            assert real[p.temporary_residence.commune_code] == p.temporary_residence.commune_name
    assert len(used) > 40
    assert any(p.temporary_residence for p in small_population)


def test_some_people_have_died_and_young_families_have_small_children(small_population: Population):
    pop = small_population
    dead = [p for p in pop if p.deceased]
    assert dead and all(p.date_of_death and p.date_of_death > p.birth_date for p in dead)
    assert len(dead) < 0.03 * len(pop)
    under_six = [p for p in pop if p.age_on(REFERENCE_DATE) < 6]
    assert len(under_six) > 0.04 * len(pop)
    assert all(p.mother_id for p in under_six)


def test_names_carry_diacritics_and_the_common_family_names_lead(small_population: Population):
    families = [p.full_name.split()[0] for p in small_population]
    assert families.count("Nguyễn") > families.count("Trần") > families.count("Đinh")
    assert all(len(p.full_name.split()) >= 3 for p in small_population)
    ethnicities = {p.ethnicity for p in small_population}
    assert "Kinh" in ethnicities and len(ethnicities) > 3
    assert {p.nationality for p in small_population} == {"Việt Nam"}


def test_jsonl_round_trip_keeps_everything(tmp_path, small_population: Population):
    path = tmp_path / "population.jsonl.gz"
    small_population.to_jsonl(path)
    loaded = Population.from_jsonl(path)
    assert loaded.people == small_population.people
    assert loaded.households == small_population.households
    assert loaded.enterprises == small_population.enterprises
    assert loaded.household_of("022090001234").head_id == "022090001234"


def test_enterprises_have_valid_tax_codes_and_living_representatives(small_population: Population):
    from motcua.core.identifiers import validate_tax_code

    for e in small_population.enterprises:
        validate_tax_code(e.tax_code)
        assert not small_population.by_id(e.representative_id).deceased
    assert small_population.enterprises_of("022090001234")


def test_cli_writes_a_file_and_reports_the_time(tmp_path, capsys):
    from simulators.population import main

    out = tmp_path / "p.jsonl.gz"
    assert main(["--n", "500", "--seed", "22", "--out", str(out)]) == 0
    assert "500" in capsys.readouterr().out
    assert len(Population.from_jsonl(out)) == 500
