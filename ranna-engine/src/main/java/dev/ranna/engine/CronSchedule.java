package dev.ranna.engine;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A schedule in ranna's {@code scheduler.updateimages} syntax: a 5-field cron expression ({@code minute hour
 * day-of-month month day-of-week}, each {@code *}, a number, a range {@code a-b}, a step {@code * /n} or
 * {@code a-b/n}, or a comma list of these; month and weekday names allowed; weekday 0 and 7 are Sunday), or one
 * of the descriptors {@code @yearly @annually @monthly @weekly @daily @midnight @hourly}, or {@code @every
 * <duration>} with a duration like {@code 90s}, {@code 30m}, {@code 6h}, {@code 1h30m}. When day-of-month and
 * day-of-week are both restricted, a day matching either one fires (classic cron). Times are local to the
 * JVM's zone. Immutable and thread-safe; used for ranna's {@code scheduler.updateimages} and
 * {@code scheduler.updatespecs}.
 */
public final class CronSchedule {

    private static final String[] MONTHS = {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"
    };
    private static final String[] DAYS = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    private static final Pattern EVERY_PART = Pattern.compile("(\\d+)(ms|s|m|h)");

    private final String text;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean domRestricted;
    private final boolean dowRestricted;
    private final Optional<Duration> every;

    private CronSchedule(String text, String[] fields, Optional<Duration> every) {
        this.text = text;
        this.every = every;
        if (every.isPresent()) {
            minutes = hours = daysOfMonth = months = daysOfWeek = new BitSet();
            domRestricted = dowRestricted = false;
            return;
        }
        minutes = field(text, fields[0], 0, 59, null);
        hours = field(text, fields[1], 0, 23, null);
        daysOfMonth = field(text, fields[2], 1, 31, null);
        months = field(text, fields[3], 1, 12, MONTHS);
        BitSet dow = field(text, fields[4], 0, 7, DAYS);
        if (dow.get(7)) {
            dow.set(0);
        }
        daysOfWeek = dow;
        domRestricted = !fields[2].equals("*") && !fields[2].equals("?");
        dowRestricted = !fields[4].equals("*") && !fields[4].equals("?");
    }

    /**
     * Parses {@code text}.
     *
     * @param key the configuration key, named in errors
     * @throws IllegalArgumentException naming the key and the expression if it is not a schedule
     */
    public static CronSchedule parse(String key, String text) {
        String trimmed = text.trim();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        try {
            switch (lower) {
                case "@yearly":
                case "@annually":
                    return new CronSchedule(trimmed, "0 0 1 1 *".split(" "), Optional.empty());
                case "@monthly":
                    return new CronSchedule(trimmed, "0 0 1 * *".split(" "), Optional.empty());
                case "@weekly":
                    return new CronSchedule(trimmed, "0 0 * * 0".split(" "), Optional.empty());
                case "@daily":
                case "@midnight":
                    return new CronSchedule(trimmed, "0 0 * * *".split(" "), Optional.empty());
                case "@hourly":
                    return new CronSchedule(trimmed, "0 * * * *".split(" "), Optional.empty());
                default:
                    break;
            }
            if (lower.startsWith("@every ")) {
                return new CronSchedule(
                        trimmed,
                        new String[0],
                        Optional.of(parseEvery(lower.substring(7).trim())));
            }
            String[] fields = lower.split("\\s+");
            if (fields.length != 5) {
                throw new IllegalArgumentException("expected 5 fields (minute hour day month weekday)");
            }
            return new CronSchedule(trimmed, fields, Optional.empty());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    key + ": not a cron schedule: '" + text + "' (" + e.getMessage() + ")", e);
        }
    }

    /** The next time strictly after {@code after} at which the schedule fires. */
    public ZonedDateTime next(ZonedDateTime after) {
        if (every.isPresent()) {
            return after.plus(every.get());
        }
        ZonedDateTime t = after.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        ZonedDateTime limit = after.plusYears(9);
        while (t.isBefore(limit)) {
            if (!months.get(t.getMonthValue())) {
                t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
                continue;
            }
            if (!dayMatches(t)) {
                t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
                continue;
            }
            if (!hours.get(t.getHour())) {
                t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
                continue;
            }
            if (!minutes.get(t.getMinute())) {
                t = t.plusMinutes(1);
                continue;
            }
            return t;
        }
        throw new IllegalStateException("cron schedule '" + text + "' never fires");
    }

    private boolean dayMatches(ZonedDateTime t) {
        boolean dom = daysOfMonth.get(t.getDayOfMonth());
        boolean dow = daysOfWeek.get(t.getDayOfWeek().getValue() % 7);
        if (domRestricted && dowRestricted) {
            return dom || dow;
        }
        return dom && dow;
    }

    @Override
    public String toString() {
        return text;
    }

    private static Duration parseEvery(String value) {
        Matcher m = EVERY_PART.matcher(value);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                throw new IllegalArgumentException("bad duration '" + value + "'");
            }
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms":
                    total = total.plusMillis(n);
                    break;
                case "s":
                    total = total.plusSeconds(n);
                    break;
                case "m":
                    total = total.plusMinutes(n);
                    break;
                default:
                    total = total.plusHours(n);
                    break;
            }
            end = m.end();
        }
        if (end != value.length() || total.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException(
                    "expected a duration of at least 1s like 6h or 1h30m, got '" + value + "'");
        }
        return total;
    }

    private static BitSet field(String text, String field, int min, int max, String @Nullable [] names) {
        var bits = new BitSet(max + 1);
        for (String part : field.split(",")) {
            String range = part;
            int step = 1;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                range = part.substring(0, slash);
                step = number(part.substring(slash + 1), 1, Integer.MAX_VALUE, null);
            }
            int lo;
            int hi;
            if (range.equals("*") || range.equals("?")) {
                lo = min;
                hi = max;
            } else {
                int dash = range.indexOf('-');
                if (dash >= 0) {
                    lo = number(range.substring(0, dash), min, max, names);
                    hi = number(range.substring(dash + 1), min, max, names);
                } else {
                    lo = number(range, min, max, names);
                    hi = slash >= 0 ? max : lo;
                }
            }
            if (lo > hi) {
                throw new IllegalArgumentException("range " + range + " is backwards");
            }
            for (int i = lo; i <= hi; i += step) {
                bits.set(i);
            }
        }
        return bits;
    }

    private static int number(String value, int min, int max, String @Nullable [] names) {
        if (names != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(value)) {
                    return i + (min == 1 ? 1 : 0);
                }
            }
        }
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a number", e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(n + " is outside " + min + "-" + max);
        }
        return n;
    }
}
