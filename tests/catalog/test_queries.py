import pytest

from imagestudio.catalog import Catalog, load_catalog
from imagestudio.catalog.queries import (
    CATEGORIES,
    filter_templates,
    list_aspect_ratios,
    recommend_templates,
    search_templates,
    tokens,
)
from imagestudio.errors import InvalidRequest


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def ids(results):
    return [item[0].id if isinstance(item, tuple) else item.id for item in results]


# ---- filter -----------------------------------------------------------------------------


def test_no_filter_returns_everything_in_catalog_order(catalog):
    assert ids(filter_templates(catalog)) == list(catalog.templates)


def test_filter_by_platform_and_alias(catalog):
    twitter = ids(filter_templates(catalog, platform="twitter"))
    assert twitter == ["twitter_post", "twitter_card", "twitter_header"]
    assert ids(filter_templates(catalog, platform="x")) == twitter
    assert ids(filter_templates(catalog, platform=" X ")) == twitter


def test_filter_by_category_and_both(catalog):
    assert ids(filter_templates(catalog, category="product")) == ["email_product"]
    blog = filter_templates(catalog, category="blog_content")
    assert blog and all(t.platform == "blog" for t in blog)
    assert filter_templates(catalog, platform="email", category="social_media") == []
    assert ids(filter_templates(catalog, platform="facebook", category="ad_creative")) == [
        "facebook_ad_square"
    ]


def test_unknown_platform_names_the_field_and_lists_valid_values(catalog):
    with pytest.raises(InvalidRequest) as info:
        filter_templates(catalog, platform="myspace")
    error = info.value
    assert error.field == "platform"
    assert "instagram" in error.message and "x" in error.details["valid"]
    assert set(catalog.platforms) <= set(error.details["valid"])


def test_unknown_category_names_the_field_and_lists_valid_values(catalog):
    with pytest.raises(InvalidRequest) as info:
        filter_templates(catalog, category="memes")
    assert info.value.field == "category"
    assert info.value.details["valid"] == list(CATEGORIES)
    assert "ad_creative" in info.value.message


# ---- search -------------------------------------------------------------------------------


def test_search_ranks_a_name_match_first(catalog):
    results = search_templates(catalog, "thumbnail")
    assert ids(results)[0] == "youtube_thumbnail"
    assert {"instagram_reel_cover", "tiktok_video_cover"} <= set(ids(results))


def test_search_scores_are_sorted_and_bounded(catalog):
    results = search_templates(catalog, "instagram product photography")
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


def test_search_matches_plurals_prefixes_and_small_typos(catalog):
    assert ids(search_templates(catalog, "products"))[0] == "email_product"
    assert ids(search_templates(catalog, "thumb"))[0] == "youtube_thumbnail"
    assert ids(search_templates(catalog, "instagarm story"))[0] == "instagram_story"
    assert ids(search_templates(catalog, "recipe")) == ["pinterest_pin"]


def test_search_for_nonsense_finds_nothing(catalog):
    assert search_templates(catalog, "zzqqxx") == []
    assert search_templates(catalog, "the for and") == []


def test_search_ties_keep_catalog_order(catalog):
    results = search_templates(catalog, "email")
    assert ids(results) == ["email_banner", "email_product"]
    assert results[0][1] == results[1][1]


def test_search_name_beats_use_case_beats_description(catalog):
    ranked = ids(search_templates(catalog, "cover"))
    # "cover" is in these names; use-case-only matches ("Video covers") come later.
    named = [t for t in ranked if "cover" in catalog.templates[t].name.lower()]
    assert ranked[: len(named)] == named


def test_search_respects_limit(catalog):
    assert len(search_templates(catalog, "post", limit=2)) == 2
    with pytest.raises(InvalidRequest) as info:
        search_templates(catalog, "post", limit=0)
    assert info.value.field == "limit"


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "!!!", "x" * 501])
def test_blank_or_huge_query_is_invalid(catalog, query):
    with pytest.raises(InvalidRequest) as info:
        search_templates(catalog, query)
    assert info.value.field == "query"


def test_x_finds_twitter_templates(catalog):
    assert set(ids(search_templates(catalog, "x"))) == {
        "twitter_post",
        "twitter_card",
        "twitter_header",
    }


# ---- recommend ------------------------------------------------------------------------------


def test_recommend_product_showcase_on_instagram(catalog):
    results = recommend_templates(catalog, "product showcase", platform="instagram")
    assert ids(results)[0] == "instagram_feed_square"
    assert all(t.platform == "instagram" for t, _ in results)


def test_recommend_without_platform_searches_everything(catalog):
    results = recommend_templates(catalog, "video covers", limit=3)
    assert ids(results)[:2] == ["instagram_reel_cover", "tiktok_video_cover"]
    assert len(results) == 3


def test_recommend_accepts_platform_aliases(catalog):
    assert ids(recommend_templates(catalog, "link sharing", platform="x"))[0] == "twitter_card"


def test_recommend_prefers_use_cases_over_names(catalog):
    # "Recruitment" is only a use case (linkedin_cover); it must win over weaker matches.
    assert ids(recommend_templates(catalog, "recruitment"))[0] == "linkedin_cover"


def test_recommend_errors(catalog):
    with pytest.raises(InvalidRequest) as info:
        recommend_templates(catalog, "product", platform="myspace")
    assert info.value.field == "platform"
    with pytest.raises(InvalidRequest) as info:
        recommend_templates(catalog, "  ")
    assert info.value.field == "use_case"


def test_recommend_finds_nothing_for_unrelated_use_cases(catalog):
    assert recommend_templates(catalog, "qwxzv") == []


# ---- aspect ratios ----------------------------------------------------------------------------


def test_list_aspect_ratios(catalog):
    ratios = list_aspect_ratios(catalog)
    assert len(ratios) == 14
    assert set(ratios[0]) == {"id", "name", "width", "height", "label", "exact", "value"}
    by_name = {r["name"]: r for r in ratios}
    assert by_name["Square"]["label"] == "1:1"
    assert by_name["LinkedIn Article"]["label"] == "≈1.91:1"
    assert by_name["LinkedIn Cover"]["label"] == "≈5.91:1"
    assert by_name["Facebook Cover"]["exact"] == "205:78"
    assert by_name["Ultra Wide"]["value"] == pytest.approx(2560 / 1080)


def test_tokens_drop_stop_words_and_punctuation():
    assert tokens("Behind-the-scenes for my Brand!") == ["behind", "scenes", "brand"]
