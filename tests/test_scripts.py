"""Text handling per script (issue 13, item 1): word counts, shingles and folding in Chinese, Japanese,
Russian, Greek and Romanian as well as English, on real prose."""

from __future__ import annotations

import re

from crawler.extract import detect_language, word_count

# a municipal page in Chinese, written as such pages are: no spaces between words
ZH = (
    "居住证明办理指南。根据本市户籍管理的有关规定，居民因就业、入学、社会保险等事项需要证明本人居住情况的，"
    "可以向居住地社区居民委员会申请开具居住证明。申请人应当携带本人有效身份证件和户口簿原件，到社区服务中心"
    "窗口填写申请表。租住房屋的，还应当提供经备案的房屋租赁合同；借住亲友房屋的，应当提供房屋产权人出具的"
    "借住证明和房屋产权证明复印件。社区工作人员在受理申请后五个工作日内进行入户核实，核实无误的当场出具证明；"
    "材料不齐全的，一次性告知申请人需要补正的全部内容。居住证明自出具之日起三个月内有效，逾期需要重新申请。"
    "本市已开通网上办事大厅，市民也可以通过政务服务网或者手机应用程序在线提交申请，上传材料的扫描件，"
    "审核通过后可以选择邮寄送达或者到窗口自取。办理本事项不收取任何费用。如对办理结果有异议，可以在收到"
    "通知之日起十五日内向街道办事处提出复核申请，也可以拨打市民服务热线咨询。为方便老年人和行动不便的居民，"
    "社区提供预约上门服务，请提前一个工作日电话预约。节假日期间窗口暂停办理，网上申请照常受理，"
    "顺延至节后第一个工作日审核。"
)
JA = ("住民票の写しは、市役所の市民課窓口のほか、マイナンバーカードを利用してコンビニエンスストアでも取得できます。"
      "手数料は一通につき三百円です。")
KO = "주민등록등본은 가까운 주민센터에서 발급받을 수 있습니다."
RU = ("Справку о составе семьи можно получить в многофункциональном центре или на портале государственных услуг. "
      "Срок оформления составляет пять рабочих дней.")
EN = ("You can pay your parking fine online with the reference number printed on the ticket. "
      "Payments made within 14 days are reduced by half; after 28 days a charge certificate is issued.")


def _han(text):
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def test_chinese_counts_one_word_per_character_as_word_processors_do():
    """An 848-character Chinese page counted 69 words (a clause was one word): every Chinese page was thin."""
    old = len(re.findall(r"\w+", ZH))
    assert word_count(ZH) == _han(ZH) > 400
    assert word_count(ZH) > 8 * old


def test_japanese_counts_kanji_and_kana_and_korean_counts_its_spaced_words():
    assert word_count(JA) == len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", JA)) - JA.count("・")
    assert word_count(KO) == 6
    assert word_count("チーム・メンバー") == 7  # the katakana middle dot is punctuation, not a word


def test_space_separated_languages_count_exactly_as_before():
    for text in (EN, RU, KO, "Ştiri din Primăria Cluj-Napoca, 2024", "Νέα από τον Δήμο Αθηναίων", "a_b 3,5 km"):
        assert word_count(text) == len(re.findall(r"\w+", text)), text
    # a Latin word inside Chinese stays one word, digits one number
    assert word_count("请登录APP办理，费用100元") == 3 + 1 + 2 + 2 + 1 + 1  # 请登录 APP 办理 费用 100 元
