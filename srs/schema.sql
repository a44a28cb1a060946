-- The review database, schema version 1. Later versions are reached by the migrations in
-- srs/store.py, applied in order inside one exclusive transaction.
-- Times are integer microseconds since the Unix epoch, UTC.

CREATE TABLE lessons (
    path          TEXT PRIMARY KEY,          -- absolute path of the lesson file
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    hash          TEXT NOT NULL,             -- of the file's bytes
    slug          TEXT NOT NULL,
    number        INTEGER,
    prerequisites TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(prerequisites)),
    rank          INTEGER NOT NULL DEFAULT 0, -- position in prerequisite order
    title         TEXT NOT NULL DEFAULT '',
    deck          TEXT NOT NULL DEFAULT ''
) STRICT;

-- The schedule of each card: narrow rows, rewritten on every answer and scanned by stats.
CREATE TABLE cards (
    id              TEXT PRIMARY KEY,
    lesson          TEXT NOT NULL REFERENCES lessons(path) ON UPDATE CASCADE,
    kind            TEXT NOT NULL,
    deck            TEXT NOT NULL,
    section         TEXT NOT NULL DEFAULT '',
    ordinal         INTEGER NOT NULL DEFAULT 0,
    content_hash    TEXT NOT NULL,
    content_changed INTEGER NOT NULL,
    created         INTEGER NOT NULL,
    state           INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
    step            INTEGER,
    stability       REAL,
    difficulty      REAL,
    due             INTEGER NOT NULL,
    last_review     INTEGER,
    suspended       INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
    buried_until    INTEGER,
    orphaned        INTEGER NOT NULL DEFAULT 0 CHECK (orphaned IN (0, 1))
) STRICT, WITHOUT ROWID;

-- What a card shows (Card.to_json() at the last sync): read only for the cards queued.
CREATE TABLE card_content (
    card    TEXT PRIMARY KEY REFERENCES cards(id) ON DELETE CASCADE ON UPDATE CASCADE,
    content TEXT NOT NULL CHECK (json_valid(content))
) STRICT, WITHOUT ROWID;

CREATE INDEX cards_lesson ON cards(lesson);

CREATE TABLE sessions (
    id      INTEGER PRIMARY KEY,
    started INTEGER NOT NULL,
    ended   INTEGER
) STRICT;

-- One row per answer, with the card's schedule before and after: enough to undo exactly.
CREATE TABLE review_log (
    id                 INTEGER PRIMARY KEY,
    card               TEXT NOT NULL REFERENCES cards(id) ON UPDATE CASCADE,
    session            INTEGER REFERENCES sessions(id),
    time               INTEGER NOT NULL,
    rating             INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    elapsed_days       INTEGER,                -- study days since the previous review
    duration_ms        INTEGER NOT NULL,
    state_before       INTEGER NOT NULL,
    step_before        INTEGER,
    stability_before   REAL,
    difficulty_before  REAL,
    due_before         INTEGER NOT NULL,
    last_review_before INTEGER,
    state_after        INTEGER NOT NULL,
    step_after         INTEGER,
    stability_after    REAL,
    difficulty_after   REAL,
    due_after          INTEGER NOT NULL,
    last_review_after  INTEGER
) STRICT;

CREATE INDEX review_log_card ON review_log(card);

CREATE TABLE deck_options (
    deck              TEXT PRIMARY KEY,
    desired_retention REAL NOT NULL,
    new_per_day       INTEGER NOT NULL,
    reviews_per_day   INTEGER NOT NULL,
    maximum_interval  INTEGER NOT NULL
) STRICT;
