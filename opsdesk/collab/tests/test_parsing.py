"""Finding @mentions in text: usernames, Chinese names without spaces, quoted display names;
email addresses and URLs are not mentions."""

from opsdesk.collab.parsing import mention_candidates, mention_match


def names_in(text, people):
    known = {name: name for name in people}
    found = []
    for candidate in mention_candidates(text):
        name, _person = mention_match(candidate, known)
        if name:
            found.append(name)
    return found


def test_a_username_at_the_end_of_a_sentence():
    assert names_in("Please check, @engineer.", ["engineer"]) == ["engineer"]


def test_an_email_address_is_not_a_mention():
    assert names_in("Mail engineer@example.com or zhang.san@corp.cn", ["example", "corp"]) == []


def test_a_url_with_an_at_is_not_a_mention():
    assert names_in("see https://git.example.com/@engineer/repo", ["engineer"]) == []


def test_a_longer_latin_word_does_not_name_a_shorter_username():
    assert names_in("@engineering team", ["engineer"]) == []


def test_chinese_names_inside_chinese_text_without_spaces():
    assert names_in("请@张三看一下，@李四也看看", ["张三", "李四", "张"]) == ["张三", "李四"]


def test_quoted_display_names_with_spaces_and_chinese_quotes():
    assert names_in('ping @"Li Lei" and @“王 五”', ["Li Lei", "王 五"]) == ["Li Lei", "王 五"]


def test_unknown_names_are_ignored():
    assert names_in("@nobody here", ["engineer"]) == []


def test_at_most_twenty_mentions_per_text():
    text = " ".join(f"@u{n}" for n in range(30))
    assert len(mention_candidates(text)) == 20
