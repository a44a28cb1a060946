from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from review_support import (
    T0,
    Clock,
    MemorySink,
    fixture_cards,
    new_cards,
    queued,
    schedulers,
)

from srs.model import CardKind
from srs.parse import parse_lesson_text
from srs.review import ReviewSession, SessionError, mcq_layout, next_card_time
from srs.schedule import Rating, Scheduler, State, day_start_after, new_schedule

CARDS = fixture_cards()
QA = [c for c in CARDS if c.kind is CardKind.QA]
MCQ = [c for c in CARDS if c.kind is CardKind.MCQ]


def make(cards: list, clock: Clock | None = None) -> tuple[ReviewSession, MemorySink, Clock]:
    clock = clock or Clock()
    sink = MemorySink({c.id: c.schedule for c in cards})
    ticks = iter(range(0, 10**6, 250))
    session = ReviewSession(cards, schedulers(), sink, clock, session_id=7,
                            timer=lambda: next(ticks) / 1000)
    return session, sink, clock


def test_cards_show_in_queue_order_and_each_answer_is_recorded_at_once() -> None:
    cards = new_cards(QA)
    session, sink, _ = make(cards)
    seen = []
    for _ in range(len(QA)):
        showing = session.current()
        assert showing is not None and not showing.revealed
        seen.append(showing.card.id)
        session.reveal()
        session.answer(Rating.EASY)
        assert len(sink.log) == len(seen)
    assert seen == [c.id for c in QA]
    assert session.current() is None
    assert all(s.state is State.REVIEW for s in sink.schedules.values())
    summary = session.quit()
    assert summary.reviewed == 3 and summary.again == 0 and summary.again_rate == 0.0


def test_reveal_gives_interval_previews_for_all_four_ratings() -> None:
    session, _, _ = make(new_cards(QA[:1]))
    showing = session.reveal()
    assert showing.revealed
    assert [showing.previews[r] for r in Rating] == ["1m", "6m", "10m", "8d"]
    assert session.preview_text(showing) == "1m  6m  10m  8d"


def test_learning_card_comes_back_within_learn_ahead_after_the_queue() -> None:
    cards = new_cards(QA[:2])
    session, sink, clock = make(cards)
    session.answer(Rating.AGAIN)          # first card: learning, due in 1 minute
    showing = session.current()
    assert showing is not None and showing.card.id == QA[1].id
    session.answer(Rating.EASY)
    back = session.current()             # queue empty: learn ahead (due 1m from now)
    assert back is not None and back.card.id == QA[0].id and back.number == 2
    assert back.schedule.state is State.LEARNING
    session.answer(Rating.GOOD)           # next learning step: 10 minutes, still within 20
    assert session.current() is not None
    session.answer(Rating.GOOD)           # graduates to review: leaves the session
    assert session.current() is None
    assert len(sink.log) == 4
    assert sink.schedules[QA[0].id].state is State.REVIEW
    assert clock.now == T0


def test_learning_card_due_now_goes_before_the_queue() -> None:
    cards = new_cards(QA)
    session, _, clock = make(cards)
    session.answer(Rating.AGAIN)              # due in 1 minute
    showing = session.current()
    assert showing is not None and showing.card.id == QA[1].id  # not due yet: queue first
    session.answer(Rating.EASY)
    clock.advance(minutes=2)
    showing = session.current()
    assert showing is not None and showing.card.id == QA[0].id  # due now: ahead of QA[2]
    session.answer(Rating.GOOD)
    showing = session.current()
    assert showing is not None and showing.card.id == QA[2].id


def test_learning_card_due_beyond_learn_ahead_ends_the_session() -> None:
    learning = dataclasses.replace(new_schedule(T0), state=State.LEARNING, step=1,
                                   stability=1.0, difficulty=5.0,
                                   due=T0 + timedelta(minutes=30), last_review=T0)
    session, _, clock = make([queued(QA[0], learning)])
    assert session.current() is None
    assert session.summary().learning_left == 1
    clock.advance(minutes=11)
    fresh, _, _ = make([queued(QA[0], learning)], clock)
    assert fresh.current() is not None


def test_the_card_on_screen_at_the_end_counts_as_still_learning() -> None:
    session, _, _ = make(new_cards(QA[:2]))
    session.answer(Rating.AGAIN)
    session.answer(Rating.AGAIN)
    showing = session.current()  # the first again, its front on screen: the session is left
    assert showing is not None and showing.schedule.state is State.LEARNING
    assert session.summary().learning_left == 2
    quiz, _, _ = make(new_cards(MCQ[:1]))
    showing = quiz.current()
    assert showing is not None and quiz.summary().learning_left == 0  # new, not learning
    wrong = next(choice for choice in showing.choices if not choice.correct)
    quiz.choose(wrong.letter)  # graded Again, the back on screen
    assert quiz.summary().learning_left == 1


def test_mcq_shuffle_is_deterministic_per_showing_and_keeps_the_answer() -> None:
    card = MCQ[0]
    content = card.to_json()
    prompt, first = mcq_layout(card.id, content, 1)
    assert prompt.startswith("What does this program print?") and "**A)**" not in prompt
    assert mcq_layout(card.id, content, 1) == (prompt, first)
    assert sorted(c.text for c in first) == sorted(card.choices)
    assert [c.letter for c in first] == ["A", "B", "C", "D"]
    right = [c for c in first if c.correct]
    assert len(right) == 1 and right[0].text == "2 5"
    orders = {tuple(c.text for c in mcq_layout(card.id, content, n)[1]) for n in range(1, 9)}
    assert len(orders) > 1
    # The first showing of each day's review is shuffled anew, not the same every day.
    daily = {tuple(c.text for c in mcq_layout(card.id, content, 1, T0 + timedelta(days=d))[1])
             for d in range(8)}
    assert len(daily) > 1


def test_mcq_layout_refuses_what_it_cannot_grade() -> None:
    content = MCQ[0].to_json()
    assert mcq_layout("x", {**content, "answer": None}, 1) == ("", ())
    assert mcq_layout("x", {**content, "answer": "Z"}, 1) == ("", ())
    without_question = {k: v for k, v in content.items() if k != "question"}
    assert mcq_layout("x", without_question, 1) == ("", ())


def test_mcq_prompt_is_the_stored_question() -> None:
    content = {**MCQ[0].to_json(), "question": "Which pair does it print?"}
    prompt, choices = mcq_layout("x", content, 1)
    assert prompt == "Which pair does it print?"
    assert len(choices) == 4
    # The front is what Anki shows; the review screen never reads the choices back off it.
    prompt, choices = mcq_layout("x", {**content, "front": "edited by hand"}, 1)
    assert prompt == "Which pair does it print?" and len(choices) == 4


def _pick(session: ReviewSession, right: bool) -> str:
    showing = session.current()
    assert showing is not None and showing.self_grading
    choice = next(c for c in showing.choices if c.correct is right)
    session.choose(choice.letter.lower())
    return choice.letter


def test_mcq_right_choice_records_good_and_wrong_records_again() -> None:
    cards = new_cards([MCQ[1], MCQ[2]])       # different lessons: no sibling burying
    session, sink, _ = make(cards)
    _pick(session, right=True)
    showing = session.current()
    assert showing is not None and showing.revealed and showing.graded is Rating.GOOD
    assert [r for _, r, _, _ in sink.log.values()] == [Rating.GOOD]
    session.answer()                          # keep the grade
    _pick(session, right=False)
    assert [r for _, r, _, _ in sink.log.values()] == [Rating.GOOD, Rating.AGAIN]
    session.answer()
    assert session.summary().again == 1
    back = session.current()                  # learning cards return, reshuffled
    assert back is not None and back.card.id == MCQ[2].id and back.number == 2
    session.choose("A")
    with pytest.raises(SessionError):
        session.choose("B")
    with pytest.raises(SessionError):
        session.answer() or session.choose("Z")


def test_mcq_grade_can_be_overridden_before_moving_on() -> None:
    session, sink, clock = make(new_cards([MCQ[1]]))
    _pick(session, right=False)
    picked_at = list(sink.times.values())
    clock.advance(seconds=40)                 # reading the explanation
    session.answer(Rating.HARD)
    assert list(sink.times.values()) == picked_at   # same answer time and duration
    assert [(cid, r) for cid, r, _, _ in sink.log.values()] == [(MCQ[1].id, Rating.HARD)]
    assert sink.schedules[MCQ[1].id] == list(sink.log.values())[0][3]
    assert session.summary().again == 0 and session.summary().reviewed == 1


def test_undo_restores_the_schedule_and_shows_the_card_again_first() -> None:
    cards = new_cards(QA)
    session, sink, _ = make(cards)
    session.answer(Rating.EASY)
    assert session.current().card.id == QA[1].id  # type: ignore[union-attr]
    shown = session.undo()
    assert shown is not None and shown.card.id == QA[0].id and not shown.revealed
    assert shown.number == 2 and shown.schedule.state is State.NEW
    assert sink.log == {} and sink.schedules[QA[0].id] == cards[0].schedule
    session.answer(Rating.GOOD)
    nxt = session.current()
    assert nxt is not None and nxt.card.id == QA[1].id       # the displaced card, next
    assert session.undo() is not None                        # undo the GOOD (learning) answer
    assert session.undo() is None                            # nothing older to undo
    assert sink.log == {}
    assert session.summary().reviewed == 0


def test_undo_takes_a_learning_card_out_of_the_learning_pile() -> None:
    session, sink, _ = make(new_cards(QA[:1]))
    session.answer(Rating.AGAIN)
    again = session.current()
    assert again is not None and again.number == 2
    session.undo()
    session.answer(Rating.EASY)
    assert session.current() is None
    assert len(sink.log) == 1


def test_undo_of_a_self_graded_mcq_on_its_back() -> None:
    session, sink, _ = make(new_cards([MCQ[1]]))
    _pick(session, right=True)
    shown = session.undo()
    assert shown is not None and shown.chosen is None and shown.number == 2
    assert sink.log == {}


def test_bury_and_suspend_go_to_the_sink_and_leave_the_session() -> None:
    cards = new_cards(QA)
    session, sink, clock = make(cards)
    session.bury()
    session.suspend()
    showing = session.current()
    assert showing is not None and showing.card.id == QA[2].id
    assert sink.buried == {QA[0].id: day_start_after(clock.now, 1)}
    assert sink.suspended == {QA[1].id}
    summary = session.summary()
    assert (summary.buried, summary.suspended) == (1, 1)



def test_undo_brings_back_a_buried_or_suspended_card_as_it_was_showing() -> None:
    cards = new_cards(QA)
    session, sink, _ = make(cards)
    session.reveal()
    session.bury()
    session.suspend()                                        # QA[1], front showing
    assert session.undoable == "suspend"
    shown = session.undo()
    assert shown is not None and shown.card.id == QA[1].id and not shown.revealed
    assert sink.suspended == set() and session.undoable == "bury"
    shown = session.undo()
    assert shown is not None and shown.card.id == QA[0].id and shown.revealed
    assert sink.buried == {} and session.undoable is None
    assert session.summary()[3:5] == (0, 0)                  # buried, suspended
    session.answer(Rating.EASY)
    nxt = session.current()
    assert nxt is not None and nxt.card.id == QA[1].id       # back at the front of the queue
    assert [row[0] for row in sink.log.values()] == [QA[0].id]


def test_a_graded_mcq_cannot_be_buried_or_suspended_until_its_grade_is_undone() -> None:
    session, sink, _ = make(new_cards([MCQ[1], *QA[:1]]))
    _pick(session, right=False)
    graded = session.current()
    # Its Again is on record: burying it would hold back the relearning step it set.
    for hide in (session.bury, session.suspend):
        with pytest.raises(SessionError):
            hide()
    assert session.current() == graded and sink.buried == {} and sink.suspended == set()
    assert len(sink.log) == 1                                # the answer stands
    session.answer()                                         # keep the grade: Again
    assert session.undoable == "answer" and session.summary().again == 1
    nxt = session.current()
    assert nxt is not None and nxt.card.id == QA[0].id


NOTES = parse_lesson_text(
    "---\ntitle: Notes\ncanonical_id: notes\n---\n# Notes\n\n## Quiz\n\n"
    "### Question 1\nOne?\n\n**A)** x  \n**B)** y\n\n**Answer: A** - x.\n\n"
    "### Question 2\nTwo?\n\n**A)** x  \n**B)** y\n\n**Answer: B** - y.\n\n"
    "## Cards\n\nC: A slice has a {{c1::pointer}} and a {{c2::length}}. {#parts}\n\n"
    "C: A map is a {{c1::pointer}}. {#map}\n", Path("notes.md"))
QUIZ_1, QUIZ_2, PARTS_1, PARTS_2, MAP_1 = (dataclasses.replace(c, deck="srs")
                                           for c in NOTES.cards)


def test_answering_a_new_cloze_card_buries_the_new_cards_of_its_note_only() -> None:
    cards = new_cards([QUIZ_1, QUIZ_2, PARTS_1, PARTS_2, MAP_1])
    session, sink, clock = make(cards)
    session.answer(Rating.EASY)
    showing = session.current()               # one section, but two notes: nothing buried
    assert showing is not None and showing.card.id == QUIZ_2.id
    session.answer(Rating.EASY)
    showing = session.current()
    assert showing is not None and showing.card.id == PARTS_1.id
    session.flush()
    assert session.remaining == 2 and sink.buried == {}   # shown, not yet answered
    session.answer(Rating.EASY)
    assert sink.buried == {PARTS_2.id: day_start_after(clock.now, 1)}
    showing = session.current()               # another cloze note: not a sibling
    assert showing is not None and showing.card.id == MAP_1.id
    session.answer(Rating.EASY)
    assert session.current() is None and session.summary().buried == 1


def test_undoing_the_answer_lifts_the_burial_of_its_siblings() -> None:
    cards = new_cards([PARTS_1, PARTS_2, MAP_1])
    session, sink, _ = make(cards)
    session.answer(Rating.GOOD)
    assert list(sink.buried) == [PARTS_2.id] and session.summary().buried == 1
    showing = session.undo()
    assert showing is not None and showing.card.id == PARTS_1.id
    assert sink.buried == {} and session.summary().buried == 0
    assert session.remaining == 2             # the sibling waits in its place again
    session.answer(Rating.GOOD)               # answered again: buried again, once
    assert list(sink.buried) == [PARTS_2.id] and session.summary().buried == 1
    showing = session.current()
    assert showing is not None and showing.card.id == MAP_1.id
    session.answer(Rating.GOOD)
    # A card that buried nothing undoes without touching the burial of another.
    session.undo()
    assert list(sink.buried) == [PARTS_2.id]


def test_session_start_is_written_before_any_other_write() -> None:
    cards = new_cards([PARTS_1, PARTS_2])
    clock = Clock()
    sink = MemorySink({c.id: c.schedule for c in cards})
    started: list[int] = []
    session = ReviewSession(cards, schedulers(), sink, clock,
                            begin=lambda: started.append(1) or 42)
    assert session.current() is not None and session.session_id is None and not started
    session.answer(Rating.GOOD)
    assert started == [1] and session.session_id == 42
    assert sink.buried == {PARTS_2.id: day_start_after(clock.now, 1)}
    session.quit()
    assert started == [1]


def test_review_cards_do_not_bury_siblings() -> None:
    review = dataclasses.replace(new_schedule(T0), state=State.REVIEW, step=None,
                                 stability=5.0, difficulty=5.0, due=T0,
                                 last_review=T0 - timedelta(days=5))
    cards = [queued(PARTS_1, review), queued(PARTS_2, review)]
    session, sink, _ = make(cards)
    assert session.current() is not None
    session.flush()
    assert sink.buried == {} and session.remaining == 1


def test_missing_scheduler_and_empty_session_raise_session_errors() -> None:
    card = dataclasses.replace(new_cards(QA[:1])[0], deck="elsewhere")
    session, _, _ = make([card])
    with pytest.raises(SessionError):
        session.reveal()
    empty, _, _ = make([])
    assert empty.finished
    with pytest.raises(SessionError):
        empty.answer(Rating.GOOD)


def test_answer_on_the_front_reveals_first_and_needs_a_rating() -> None:
    session, sink, _ = make(new_cards(QA[:1]))
    with pytest.raises(SessionError):
        session.answer()
    session.answer(Rating.HARD)
    assert [r for _, r, _, _ in sink.log.values()] == [Rating.HARD]


def test_quit_ends_the_session_with_nothing_pending() -> None:
    session, sink, clock = make(new_cards(QA))
    session.answer(Rating.GOOD)
    clock.advance(seconds=95)
    summary = session.quit()
    assert session.finished and session.current() is None
    assert summary.reviewed == 1 and summary.elapsed == timedelta(seconds=95)
    assert len(sink.log) == 1


def test_durations_come_from_the_timer() -> None:
    recorded: list[int] = []

    class Spy(MemorySink):
        def record_answer(self, *args, **kw):  # type: ignore[no-untyped-def]
            recorded.append(args[5])
            return super().record_answer(*args, **kw)

    cards = new_cards(QA[:1])
    times = iter([10.0, 12.5])
    session = ReviewSession(cards, {"srs": Scheduler(schedulers()["srs"].options)},
                            Spy({c.id: c.schedule for c in cards}), Clock(),
                            timer=lambda: next(times))
    session.answer(Rating.GOOD)
    assert recorded == [2500]


def test_next_card_time_is_when_the_queue_takes_the_card() -> None:
    now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    tomorrow_start = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)
    assert next_card_time(None, None, now, UTC) is None
    # A review card counts from the start (04:00) of the day it is due, not its due time.
    assert next_card_time(None, datetime(2026, 3, 3, 17, 30, tzinfo=UTC), now, UTC) == (
        tomorrow_start)
    # ... and one due before 04:00 belongs to the study day before.
    assert next_card_time(None, datetime(2026, 3, 4, 3, 0, tzinfo=UTC), now, UTC) == (
        tomorrow_start)
    # A learning card comes up at the time the store gives; the earlier of the two wins.
    soon = now + timedelta(minutes=40)
    assert next_card_time(soon, datetime(2026, 3, 3, 17, 30, tzinfo=UTC), now, UTC) == soon
    # A review due today that the queue left out (today's limit) comes up tomorrow.
    assert next_card_time(None, now - timedelta(hours=2), now, UTC) == tomorrow_start


def test_the_answer_gives_the_interval_shown_when_a_day_passes_while_the_back_is_read() -> None:
    card = new_cards(QA[:1])[0]
    session, sink, clock = make([card])
    session.answer(Rating.EASY)                       # a review card from T0 (09:00)
    reviewed = dataclasses.replace(card, schedule=sink.schedules[card.id])
    clock.now = T0 + timedelta(days=5, seconds=-20)   # 20 s before five whole days have passed
    later, sink, _ = make([reviewed], clock)
    shown = later.reveal()
    clock.advance(seconds=40)                         # answered just after
    later.answer(Rating.GOOD)
    [(_, _, before, after)] = sink.log.values()
    scheduler = schedulers()["srs"]
    assert after == scheduler.answer(card.id, before, Rating.GOOD, shown.previewed_at)
    assert after != scheduler.answer(card.id, before, Rating.GOOD, clock.now)
    assert shown.previews[Rating.GOOD] == later.preview_text(shown).split()[2]
    assert sink.times[next(iter(sink.log))][0] == clock.now  # the log keeps the answer's time


def _review_state(days: int = 5) -> object:
    return dataclasses.replace(new_schedule(T0), state=State.REVIEW, step=None, stability=5.0,
                               difficulty=5.0, due=T0, last_review=T0 - timedelta(days=days))


def _lapsed(sink: MemorySink, card_id: str, times: int) -> None:
    """`times` earlier lapses of the card on the sink's log."""
    review = sink.schedules[card_id]
    for _ in range(times):
        log_id = sink.record_answer(card_id, Rating.AGAIN, review, review, T0, 0, None)
        sink.times.pop(log_id)


def test_the_eighth_lapse_makes_a_leech_suspended_and_undo_takes_it_back() -> None:
    card = queued(QA[0], _review_state())
    session, sink, _ = make([card])
    _lapsed(sink, card.id, 7)
    session.answer(Rating.AGAIN)
    assert session.last_leech == (card.id, 8)
    assert card.id in sink.suspended
    assert session.current() is None          # not back in relearning: it is suspended
    assert session.summary().leeches == 1 and session.summary().again == 1
    assert session.undo() is not None
    assert card.id not in sink.suspended and session.last_leech is None
    assert session.summary().leeches == 0 and sink.lapses(card.id) == 7
    session.answer(Rating.GOOD)               # a pass is never a leech
    assert card.id not in sink.suspended and session.last_leech is None


@pytest.mark.parametrize(("threshold", "before", "leech"), [
    (8, 6, False), (8, 8, False), (8, 10, False), (8, 11, True), (8, 15, True),
    (3, 2, True), (3, 3, False), (3, 4, True), (5, 6, False), (5, 7, True), (1, 0, True),
    (1, 1, True), (0, 20, False),
])
def test_a_lapse_is_a_leech_at_the_threshold_and_every_half_threshold_after(
        threshold: int, before: int, leech: bool) -> None:
    card = queued(QA[0], _review_state())
    sink = MemorySink({card.id: card.schedule})
    options = dataclasses.replace(schedulers()["srs"].options, leech_threshold=threshold)
    session = ReviewSession([card], {"srs": Scheduler(options, fuzz=False)}, sink, Clock())
    _lapsed(sink, card.id, before)
    session.answer(Rating.AGAIN)
    assert (card.id in sink.suspended) is leech
    assert session.last_leech == ((card.id, before + 1) if leech else None)


def test_only_a_lapse_in_review_counts_and_a_regraded_quiz_is_no_leech() -> None:
    learning = queued(QA[0], new_schedule(T0))
    session, sink, _ = make([learning])
    _lapsed(sink, learning.id, 7)             # a card relearning after lapses, failed again
    session.answer(Rating.AGAIN)
    assert not sink.suspended and session.last_leech is None

    quiz = queued(MCQ[1], _review_state())
    session, sink, _ = make([quiz])
    _lapsed(sink, quiz.id, 7)
    _pick(session, right=False)               # graded Again: the eighth lapse
    assert session.last_leech == (quiz.id, 8) and quiz.id in sink.suspended
    session.answer(Rating.GOOD)               # the learner overrides the grade
    assert quiz.id not in sink.suspended and session.last_leech is None
    assert session.summary().leeches == 0 and sink.lapses(quiz.id) == 7


@pytest.mark.parametrize(("choices", "explanation", "in_place"), [
    (["a, b, c", "b, a, c", "a, c, b", "Both B and C (16 bytes)"], "", True),
    (["8", "16", "All of the above"], "", True),
    (["8", "16", "none of these"], "", True),
    (["8", "16", "Only A"], "", True),
    (["8", "16", "A and C", "B/C"], "", True),
    (["8", "16", "24"], "Option B forgets the padding.", True),
    (["8", "16", "24"], "24: (B) forgets the padding.", True),
    # Letters that name no choice, or names that only look like letters:
    (["8", "16", "24"], "Field `B` starts at offset 8, so field `A` is followed by padding.",
     False),
    (["A pointer", "A slice header", "An int"], "A slice is three words.", False),
    (["8", "16", "24"], "There can be many more Ms than Ps.", False),
    (["T and U differ", "16"], "", False),
    (["the A-B pair", "16"], "", False),
])
def test_choices_that_refer_to_each_other_keep_the_lessons_order(
        choices: list[str], explanation: str, in_place: bool) -> None:
    content = {"question": "Which?", "choices": choices, "answer": "A",
               "explanation": explanation}
    orders = {tuple(c.text for c in mcq_layout("c1", content, showing)[1])
              for showing in range(1, 9)}
    if in_place:
        assert orders == {tuple(choices)}
    else:
        assert len(orders) > 1  # shuffled, differently from one showing to the next
