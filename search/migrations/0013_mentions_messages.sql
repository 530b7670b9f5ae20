-- The mentions that carry or contradict a key message (messages != '[]'; most carry
-- none): pull-through reads them through this partial index, with the columns its
-- filters test, instead of parsing the messages of every mention of the window
-- (search/_sqlite_syndication.py, pull_through).
CREATE INDEX mentions_messages ON mentions (
    brand_id, counted_us, channel, country, language, outlet, tier
) WHERE messages != '[]';
