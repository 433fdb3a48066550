"""Compiled (Numba) loops for search: the multi-index's query and the linear scan. Where NumPy
pays a call per bucket and a pass per step, one loop measures each row once, drops the
multi-index's repeats by arithmetic and keeps a running top-k bound.

``AVAILABLE`` is False when Numba cannot be imported (a platform without its wheels): the
index then runs its NumPy paths, which give the same answers, slower. The first call compiles
(a few seconds; ``cache=True`` keeps the machine code for the next process, and the window
compiles in a child process first: ``warm_up``).
"""
from __future__ import annotations

import numpy as np

try:  # pragma: no cover - the import itself
    from numba import njit, types
    from numba.extending import intrinsic
    AVAILABLE = True
except ImportError:  # pragma: no cover - only where Numba has no wheel
    AVAILABLE = False

# Outcomes besides a count of candidates.
GAVE_UP = -1    # the rows named pass the budget, or ring 0 says the query is in no cluster
FULL = -2       # the candidate buffer is too small: call again with a larger one

if AVAILABLE:
    @intrinsic
    def _popcount(typingctx, x):
        """The CPU's population count of a uint64 (LLVM's ctpop: POPCNT on x86-64)."""
        def codegen(context, builder, signature, args):
            return builder.ctpop(args[0])
        return types.uint64(types.uint64), codegen

    @njit(nogil=True, cache=True, boundscheck=False, inline="always")
    def _substring_distance(sorted_words, qword, p, j):
        word, shift = (j * 16) // 64, (j * 16) % 64
        return _popcount(((sorted_words[word, p] ^ qword[word]) >> np.uint64(shift)) & np.uint64(0xFFFF))

    @njit(nogil=True, cache=True, boundscheck=False)
    def _within(cand_rows, cand_d, count, thr):
        """Keep, in order, the first ``count`` candidates within ``thr``; returns how many."""
        kept = 0
        for c in range(count):
            if cand_d[c] <= thr:
                cand_rows[kept], cand_d[kept] = cand_rows[c], cand_d[c]
                kept += 1
        return kept

    @njit(nogil=True, cache=True, boundscheck=False, inline="always")
    def _keep(row, d, k, top_k, hist, within, thr, cand_rows, cand_d, count):
        """Add a candidate within the bound (the caller has made room: ``_room``). For top-k,
        count it and lower the bound to the smallest distance that ``k`` candidates reach.
        Returns (within, bound, count). Inlined, with no branch that returns early: with the
        room check inside, a multi-index query whose 100th row tied with 750 others spent 20
        ns a kept row here (21 against 5.7 us for one bucket of 2,504 rows)."""
        if top_k:
            hist[d] += 1
            within += 1
            while thr > 0 and within - hist[thr] >= k:
                within -= hist[thr]
                thr -= 1
        cand_rows[count], cand_d[count] = row, d
        return within, thr, count + 1

    @njit(nogil=True, cache=True, boundscheck=False)
    def _room(cand_rows, cand_d, count, thr):
        """The candidates kept, less those the bound has passed when the buffer is full; FULL
        when it still has no room."""
        count = _within(cand_rows, cand_d, count, thr)
        return FULL if count == cand_rows.shape[0] else count

    @njit(nogil=True, cache=True, boundscheck=False)
    def mih_search(sorted_words, order, starts, rings, ring_starts, qkeys, qword, k, radius,
                   budget, cluster_min, allowed, use_mask, cand_rows, cand_d):
        """Exact top-``k`` (``radius`` < 0) or every row within ``radius`` through the
        substring tables; see ``mih.MultiIndex``. Writes distinct rows (with every row tied
        with the k-th) to ``cand_rows``/``cand_d`` and returns their count, GAVE_UP or FULL.

        Within a ring the tables are probed fewest rows first, and a top-k search stops after
        any table: once ring s is done in ``t`` tables (and ring s - 1 in all), every row
        within m s + t - 1 has been named (a row not named has substring distance s + 1 or
        more in those t tables and s or more in the others: m s + t in all). Norouzi et al.
        probe this way; stopping only after whole rings read up to four times the rows.

        A row that table j names in ring s is a repeat when another table has its substring
        nearer the query (named in an earlier ring) or as near and probed before j in this
        ring: so each row is counted once, with no memory of the rows met."""
        n_words = sorted_words.shape[0]
        m = qkeys.shape[0]
        bits = 64 * n_words
        hist = np.zeros(bits + 1, np.int64)
        thr = bits if radius < 0 else radius
        within = 0  # candidates with d <= thr
        count = 0
        last_ring = 16 if radius < 0 else min(16, radius // m)
        named = 0
        sizes = np.zeros(m, np.int64)
        place = np.zeros(m, np.int64)  # each table's place in this ring's probing order
        if radius >= 0:  # the rings a radius needs are known: give up before reading any
            for s in range(last_ring + 1):
                for j in range(m):
                    for r in range(ring_starts[s], ring_starts[s + 1]):
                        key = j * 65536 + (rings[r] ^ qkeys[j])
                        named += starts[key + 1] - starts[key]
            if named > budget:
                return GAVE_UP
        for s in range(last_ring + 1):
            for j in range(m):
                sizes[j] = 0
                for r in range(ring_starts[s], ring_starts[s + 1]):
                    key = j * 65536 + (rings[r] ^ qkeys[j])
                    sizes[j] += starts[key + 1] - starts[key]
            if radius < 0 and s == 0 and sizes.sum() < cluster_min:
                return GAVE_UP
            tables = np.argsort(sizes, kind="mergesort") if radius < 0 else np.arange(m)
            for t in range(m):
                place[tables[t]] = t
            for t in range(m):
                j = tables[t]
                if radius < 0:
                    named += sizes[j]
                    if named > budget:
                        return GAVE_UP
                for r in range(ring_starts[s], ring_starts[s + 1]):
                    key = j * 65536 + (rings[r] ^ qkeys[j])
                    for p in range(starts[key], starts[key + 1]):
                        d = 0
                        for w in range(n_words):
                            d += _popcount(sorted_words[w, p] ^ qword[w])
                        if d > thr:
                            continue
                        repeat = False
                        for other in range(m):
                            if other != j:
                                sd = _substring_distance(sorted_words, qword, p, other)
                                if sd < s or (sd == s and place[other] < t):
                                    repeat = True
                                    break
                        if repeat:
                            continue
                        row = order[p]
                        if use_mask and not allowed[row]:
                            continue
                        if count == cand_rows.shape[0]:
                            count = _room(cand_rows, cand_d, count, thr)
                            if count == FULL:
                                return FULL
                        within, thr, count = _keep(row, d, k, radius < 0, hist, within, thr,
                                                   cand_rows, cand_d, count)
                if radius < 0:
                    # every row within m s + t has been named (t + 1 tables done in ring s)
                    bound = min(bits, m * s + t)
                    found = 0
                    for d_at in range(bound + 1):
                        found += hist[d_at]
                    if found >= k:
                        return _within(cand_rows, cand_d, count, thr)
        return _within(cand_rows, cand_d, count, thr)


    _BLOCK = 256  # rows measured per vectorised pass (256 beat 512 and 2048 here: fewer rows
    #               walked one by one in a block that holds a hit)

    @njit(nogil=True, cache=True, boundscheck=False, fastmath=True)
    def _block_distances(words, qword, start, stop, out, thr):
        """Distances of rows start..stop into ``out`` (uint8), one vectorised loop per word;
        True when any is within ``thr`` (most blocks hold none once the bound has settled)."""
        size = stop - start
        dist = out[:size]
        codes = words[0][start:stop]
        q = qword[0]
        for i in range(size):
            dist[i] = np.uint8(_popcount(codes[i] ^ q))
        for w in range(1, words.shape[0]):
            codes = words[w][start:stop]
            q = qword[w]
            for i in range(size):
                dist[i] += np.uint8(_popcount(codes[i] ^ q))
        lowest = np.uint8(255)
        for i in range(size):
            lowest = min(lowest, dist[i])
        return np.int64(lowest) <= thr

    @njit(nogil=True, cache=True, boundscheck=False)
    def scan_search(words, qword, k, radius, allowed, use_mask, cand_rows, cand_d, all_ties):
        """Exact top-``k`` (``radius`` < 0) or every row within ``radius``, reading every row
        once: distances a block at a time, and a bound that falls to the k-th smallest distance
        kept so far. Writes the rows within the final bound, in row order, to
        ``cand_rows``/``cand_d``; returns their count or FULL. Codes of at most 255 bits.

        Top-``k`` with ``all_ties`` keeps every row tied at the bound (a tie-break score picks
        among them later); without, ties go by row order, so a row at the bound is skipped
        once ``k`` rows are within it: the earlier rows hold its places. Learned codes tie by
        the thousand, and keeping them all cost a single query at 1M rows 2.5x the time of
        reading the codes once (``bench/bench_mih.py``)."""
        n = words.shape[1]
        bits = 64 * words.shape[0]
        hist = np.zeros(bits + 1, np.int64)
        thr = min(bits, 255) if radius < 0 else min(radius, bits, 255)
        within = 0
        count = 0
        block = np.empty(_BLOCK, np.uint8)
        for start in range(0, n, _BLOCK):
            stop = min(n, start + _BLOCK)
            # without ties, once k rows are within the bound only a nearer row can enter:
            # learned codes put a row of the query's cluster in most blocks, at the bound
            full = radius < 0 and not all_ties and within >= k
            if not _block_distances(words, qword, start, stop, block, thr - 1 if full else thr):
                continue
            for i in range(stop - start):
                d = np.int64(block[i])
                if d > thr or (full and d == thr):  # once k rows are within the bound, they stay so as it falls
                    continue
                row = start + i
                if use_mask and not allowed[row]:
                    continue
                if count == cand_rows.shape[0]:
                    count = _room(cand_rows, cand_d, count, thr)
                    if count == FULL:
                        return FULL
                within, thr, count = _keep(row, d, k, radius < 0, hist, within, thr, cand_rows, cand_d, count)
        return _within(cand_rows, cand_d, count, thr)


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False)
    def _group_take(g, starts, dist, limit, k, radius, all_ties):
        """How many of code ``g``'s rows ``group_search`` takes: all, or for top-``k`` without
        ``all_ties`` at most ``k`` of a code at the limiting distance."""
        size = starts[g + 1] - starts[g]
        if radius < 0 and not all_ties and dist[g] == limit and size > k:
            size = k
        return size

    @njit(nogil=True, cache=True, boundscheck=False)
    def group_search(codes, qword, starts, sizes, rows, k, radius, all_ties, dist, chosen, out_rows, out_d):
        """Through distinct codes (``codes`` (words, u); code ``g``'s rows are ``rows[starts[g]:
        starts[g + 1]]``, ascending; ``sizes`` int32: how many): each code's distance to the query into ``dist`` (and the
        codes taken into ``chosen``, as long), then
        the rows of every code within ``radius`` (not negative), or for top-``k`` within the
        smallest distance at which the codes hold ``k`` rows: at that distance every row when
        ``all_ties``, else the first ``k`` of each code. Returns how many rows were written to
        ``out_rows``/``out_d``, or minus how many there are when they would not fit."""
        n_words, u = codes.shape
        bits = 64 * n_words
        nearest = bits
        if n_words == 1:  # one word a code: a loop the compiler vectorises
            q = qword[0]
            for g in range(u):
                d = np.int64(_popcount(codes[0, g] ^ q))
                dist[g] = d
                nearest = min(nearest, d)
        else:
            for g in range(u):
                d = np.int64(0)
                for w in range(n_words):
                    d += np.int64(_popcount(codes[w, g] ^ qword[w]))
                dist[g] = d
                nearest = min(nearest, d)
        limit = radius
        if radius < 0:
            # the rows at each distance from the nearest on, one pass of masked sums each
            # (vectorised; a histogram over the codes took 4x as long, its updates waiting on
            # one another where most codes lie at a few distances): most queries need one
            limit = bits
            total = 0
            for t in range(nearest, bits + 1):
                here = np.int32(t)
                for g in range(u):
                    total += sizes[g] * np.int32(dist[g] == here)
                if total >= k:
                    limit = t
                    break
        m = 0
        for g in range(u):
            if dist[g] <= limit:
                chosen[m] = g
                m += 1
        needed = 0
        for c in range(m):
            needed += _group_take(chosen[c], starts, dist, limit, k, radius, all_ties)
        if needed > out_rows.shape[0]:
            return -needed
        p = 0
        for c in range(m):
            g = chosen[c]
            for r in range(starts[g], starts[g] + _group_take(g, starts, dist, limit, k, radius, all_ties)):
                out_rows[p] = rows[r]
                out_d[p] = dist[g]
                p += 1
        return p


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False, fastmath={"reassoc", "contract"})
    def tie_keys(scores, rows, tie, out):
        """``out[i]`` = minus the dot product of row ``rows[i]`` of ``scores`` with ``tie``: the
        tie-break's sort keys, read straight from the rows (a NumPy gather copied the rows
        first: 0.44 ms of a 0.94 ms query for ~2,000 tied rows at 1M). Every row's sum runs
        the same instructions, so equal rows get equal keys."""
        d = scores.shape[1]
        for i in range(rows.shape[0]):
            r = rows[i]
            acc = np.float32(0.0)
            for j in range(d):
                acc += scores[r, j] * tie[j]
            out[i] = -acc


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False)
    def mih_top(sorted_words, order, starts, rings, ring_starts, qwords, k, budget,
                cluster_min, allowed, use_mask, scores, ties, use_scores, out_rows, out_d, status):
        """A batch of top-``k`` queries through the substring tables, each to its final order
        (distance, then with ``use_scores`` minus the dot product of the row's ``scores``
        with the query's ``ties`` row, then row), as ``HammingIndex`` orders a query's
        candidates in Python; one call for the batch, so a thread runs its share without
        the interpreter lock. ``qwords`` (q, words). Writes
        ``out_rows``/``out_d`` (q, k; rows past those found are left alone) and per query in
        ``status`` how many were written, or GAVE_UP: that query goes to the other methods.
        The Python calls around a 0.05 ms compiled query took as long again."""
        size = 4096
        cand_rows, cand_d = np.empty(size, np.int32), np.empty(size, np.int32)
        m = (starts.shape[0] - 1) // 65536
        qkeys = np.empty(m, np.int64)
        for q in range(qwords.shape[0]):
            for j in range(m):  # the query's 16-bit substrings, as ``mih.MultiIndex`` cuts them
                qkeys[j] = np.int64((qwords[q, (j * 16) // 64] >> np.uint64((j * 16) % 64)) & np.uint64(0xFFFF))
            while True:
                got = mih_search(sorted_words, order, starts, rings, ring_starts, qkeys, qwords[q],
                                 k, -1, budget, cluster_min, allowed, use_mask, cand_rows, cand_d)
                if got != FULL:
                    break
                size *= 4
                cand_rows, cand_d = np.empty(size, np.int32), np.empty(size, np.int32)
            if got < 0:
                status[q] = got
                continue
            # (distance, row) as one sortable number; rows are below 2**31
            packed = np.empty(got, np.int64)
            for c in range(got):
                packed[c] = (np.int64(cand_d[c]) << 32) | np.int64(cand_rows[c])
            packed.sort()
            taken = min(k, got)
            if taken == 0:
                status[q] = 0
                continue
            if not use_scores:
                for c in range(taken):
                    out_rows[q, c] = packed[c] & 0xFFFFFFFF
                    out_d[q, c] = packed[c] >> 32
                status[q] = taken
                continue
            # every row at a distance up to the last one taken competes by its score
            last = packed[taken - 1] >> 32
            end = taken
            while end < got and (packed[end] >> 32) == last:
                end += 1
            rows = np.empty(end, np.int64)
            for c in range(end):
                rows[c] = packed[c] & 0xFFFFFFFF
            keys = np.empty(end, np.float32)
            tie_keys(scores, rows, ties[q], keys)
            placed = 0
            lo = 0
            while lo < end and placed < taken:
                d = packed[lo] >> 32
                hi = lo
                while hi < end and (packed[hi] >> 32) == d:
                    hi += 1
                # stable: equal keys keep row order
                by_key = np.argsort(keys[lo:hi], kind="mergesort")
                for c in range(hi - lo):
                    if placed == taken:
                        break
                    out_rows[q, placed] = rows[lo + by_key[c]]
                    out_d[q, placed] = d
                    placed += 1
                lo = hi
            status[q] = taken


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False, fastmath={"reassoc", "contract"})
    def _dot8(row, q):
        """An int8 row's dot product with float32 ``q``, summed in float32 in any order (exact
        for int8 times int8 or half-integer sums below 2**22)."""
        acc = np.float32(0.0)
        for j in range(row.shape[0]):
            acc += np.float32(row[j]) * q[j]
        return acc

    @njit(nogil=True, cache=True, boundscheck=False, fastmath={"reassoc", "contract"})
    def _best_crop(stored, scales, q, i):
        """Row ``i``'s best crop: the largest of its crops' dot products times their scales."""
        best = -np.inf
        for c in range(stored.shape[1]):
            value = _dot8(stored[i, c], q) * scales[i, c]
            if value > best:
                best = value
        return best

    @njit(nogil=True, cache=True, boundscheck=False, fastmath={"reassoc", "contract"})
    def best_crop_dots(stored, scales, query, out):
        """Per row of int8 descriptors (n, crops, dim): the best crop's dot product with the
        int8 ``query``, each crop's sum times its scale (float32 ``scales`` (n, crops)).
        The sums run in float32, which holds every sum of int8 products below 2**24 exactly
        (dim up to 1,040), in any order: so they may be reassociated and vectorised freely (~30 % faster
        than int32 sums on this machine's AVX2)."""
        q = query.astype(np.float32)
        for i in range(stored.shape[0]):
            out[i] = _best_crop(stored, scales, q, i)

    @njit(nogil=True, cache=True, boundscheck=False, fastmath={"reassoc", "contract"})
    def best_crop_dots_at(stored, scales, query, rows, out):
        """``best_crop_dots`` for the rows named by ``rows`` (int64) only: ``out[t]`` is row
        ``rows[t]``'s value."""
        q = query.astype(np.float32)
        for t in range(rows.shape[0]):
            out[t] = _best_crop(stored, scales, q, rows[t])


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False)
    def coarse_rows(stored, scales, grey, side, cell, coarse, sigma, spread, crop_coarse, crop_sigma, crop_rest):
        """``app.search.signatures.coarse_bounds`` row by row (its docstring says what). A
        crop's projection: its ``grey`` leading terms, then per colour cell of ``side`` x
        ``side`` the sum of its ``cell`` x ``cell`` grid squares per channel over ``cell``; the
        ``crop_`` arrays hold each crop's own, in int8 steps of the crop's own size."""
        n, crops, dim = stored.shape
        grid = cell * side
        width = coarse.shape[1]
        coords = np.zeros((crops, width), np.float32)
        mean = np.zeros(width, np.float32)
        full = np.zeros(crops, np.float32)
        for i in range(n):
            for c in range(crops):
                row = stored[i, c]
                total2 = np.float32(0.0)
                for j in range(dim):
                    total2 += np.float32(row[j]) * np.float32(row[j])
                full[c] = total2
                for j in range(grey):
                    coords[c, j] = np.float32(row[j])
                k = grey
                for y in range(side):
                    for x in range(side):
                        for ch in range(3):
                            total = 0
                            for dy in range(cell):
                                for dx in range(cell):
                                    total += row[grey + ((cell * y + dy) * grid + cell * x + dx) * 3 + ch]
                            coords[c, k] = np.float32(total) / np.float32(cell)
                            k += 1
            for j in range(width):
                value = np.float32(0.0)
                for c in range(crops):
                    value += coords[c, j] * scales[i, c]
                mean[j] = value / np.float32(crops)
            top = np.float32(1e-30)
            for j in range(width):
                if abs(mean[j]) > top:
                    top = abs(mean[j])
            step = top / np.float32(127.0)
            for j in range(width):
                coarse[i, j] = np.int8(np.rint(mean[j] / step))
            sigma[i] = step
            for c in range(crops):
                kept = np.float32(0.0)
                off = np.float32(0.0)
                for j in range(width):
                    kept += coords[c, j] * coords[c, j]
                    d = coords[c, j] * scales[i, c] - mean[j]
                    off += d * d
                left = full[c] - kept
                grow = np.float32(1 + 1e-5)
                spread[i, c, 0] = np.sqrt(off) * grow
                rest = np.sqrt(left if left > 0 else np.float32(0.0)) * scales[i, c] * grow
                spread[i, c, 1] = rest
                crop_rest[i, c] = rest
                top = np.float32(1e-30)
                for j in range(width):
                    if abs(coords[c, j]) > top:
                        top = abs(coords[c, j])
                step = top / np.float32(127.0)
                for j in range(width):
                    crop_coarse[i, c, j] = np.int8(np.rint(coords[c, j] / step))
                crop_sigma[i, c] = step * scales[i, c]


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False, fastmath={"reassoc", "contract"})
    def best_crop_bounds(coarse, sigma, spread, query, half_l1, query_norm, query_rest, out):
        """Per row: ``sigma * (coarse . query + half_l1)`` plus the largest over its crops of
        ``spread[c, 0] * query_norm + spread[c, 1] * query_rest`` (``app.search.signatures``
        says why that bounds ``best_crop_dots``). Sums of int8 times half-integers below 2**22
        are exact in float32, in any order."""
        n, crops = coarse.shape[0], spread.shape[1]
        for i in range(n):
            acc = _dot8(coarse[i], query)
            extra = np.float32(0.0)
            for c in range(crops):
                value = spread[i, c, 0] * query_norm + spread[i, c, 1] * query_rest
                if value > extra:
                    extra = value
            out[i] = sigma[i] * (acc + half_l1) + extra


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False, fastmath={"reassoc", "contract"})
    def crop_bounds_at(coarse, sigma, rest, query, half_l1, query_rest, rows, out):
        """For the rows named (int64): the largest over the row's crops of ``sigma * (coarse .
        query + half_l1) + rest * query_rest``, a tighter bound than ``best_crop_bounds``'s."""
        crops = coarse.shape[1]
        for t in range(rows.shape[0]):
            i = rows[t]
            best = -np.inf
            for c in range(crops):
                value = sigma[i, c] * (_dot8(coarse[i, c], query) + half_l1) + rest[i, c] * query_rest
                if value > best:
                    best = value
            out[t] = best


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False, fastmath={"reassoc", "contract"})
    def profile_scores(values, tagged, members, need_tag, query_weight, weight, qnorm, strong_cols, out):
        """Per row of a label-evidence matrix (``app.services.evidence``) and per pass ``s``
        (a tab): ``out[i, s]`` is -1 where row ``i`` is not in ``members[:, s]`` or carries
        none of ``strong_cols`` (tagged when ``need_tag[s]``, else any evidence above 0); else
        the weighted cosine of its values with the query, computed once for all passes: per
        matrix column ``c``, ``query_weight[c]`` is the query's value there times the label's
        weight and ``weight[c]`` the weight (0 for a column the query does not name), and
        ``qnorm`` the query's weighted norm. The columns are walked in memory order, so the
        two sums vectorise (they run in float64, in whatever order the vector units take)."""
        n, m, t = values.shape[0], values.shape[1], members.shape[1]
        for i in range(n):
            wanted = False
            for s in range(t):
                out[i, s] = -1.0
                wanted = wanted or members[i, s]
            if not wanted:
                continue
            has_tag = False
            has_value = False
            for c in strong_cols:
                has_tag = has_tag or tagged[i, c]
                has_value = has_value or values[i, c] > 0
            if not has_value:  # a tag is a value of 1
                continue
            dot = 0.0
            pp = 0.0
            for c in range(m):
                v = np.float64(values[i, c])
                dot += v * query_weight[c]
                pp += v * v * weight[c]
            score = dot / max(np.sqrt(pp) * qnorm, 1e-9)
            for s in range(t):
                if members[i, s] and (has_tag or not need_tag[s]):
                    out[i, s] = score


if AVAILABLE:
    @njit(nogil=True, cache=True, boundscheck=False)
    def label_evidence(values, tagged, ids, members, use_members, cols, starts, with_predictions,
                       out_ids, p, is_tagged, present):
        """Per row of a label-evidence matrix and per asked label ``a`` (its matrix columns
        ``cols[starts[a]:starts[a + 1]]``): tagged with any of them, the best value among them
        (0 without predictions), evidence ``p`` (1 where tagged, else that best value) and
        ``present`` (tagged or above 0). Rows present for any asked label (and in ``members``
        when ``use_members``) are written, in order, to the front of the outputs (``out_ids``
        their ids); returns how many. ``app.services.ranking.label_evidence``."""
        n, asked = values.shape[0], starts.shape[0] - 1
        kept = 0
        for i in range(n):
            if use_members and not members[i]:
                continue
            any_present = False
            for a in range(asked):
                hit = False
                best = 0.0
                for j in range(starts[a], starts[a + 1]):
                    c = cols[j]
                    hit = hit or tagged[i, c]
                    if with_predictions and values[i, c] > best:
                        best = values[i, c]
                is_tagged[kept, a] = hit
                p[kept, a] = 1.0 if hit else best
                present[kept, a] = hit or best > 0
                any_present = any_present or present[kept, a]
            if any_present:
                out_ids[kept] = ids[i]
                kept += 1
        return kept


def ready_dispatch() -> bool:
    """Set up Numba's typing and code-generation contexts now, on the calling thread; True when
    they are (False where Numba is missing, or a version lacks these internals: the first call
    then sets them up, as it always did). The first call of any compiled loop does this: about
    0.2 s of Python that registers Numba's built-in types, mostly holding the interpreter lock.
    The window's search warm-up made that first call on a worker while the curator scrolled,
    and the grid stopped for 55-118 ms (``bench/bench_grid_scroll.py --stacks`` at 100,500
    items: ``_load_builtins``, ``load_additional_registries``); the window runs this before its
    event loop starts instead."""
    if not AVAILABLE:
        return False
    try:
        from numba.core.registry import cpu_target
        cpu_target.typing_context.refresh()
        cpu_target.target_context.refresh()
    except (ImportError, AttributeError):  # pragma: no cover - another Numba's internals
        return False
    return True


def warm_up() -> None:
    """Compile (or load from the cache) every loop here on tiny inputs. The window runs this in
    a child process first: compiling holds the interpreter lock for up to 0.1 s at a time, which
    would stall the window's event loop; the window's own process then loads the cached code."""
    if not AVAILABLE:
        return
    best_crop_dots(np.zeros((1, 1, 1), np.int8), np.ones((1, 1), np.float32), np.zeros(1, np.int8),
                   np.empty(1, np.float32))
    group_search(np.zeros((1, 1), np.uint64), np.zeros(1, np.uint64), np.zeros(2, np.int64), np.zeros(1, np.int32),
                 np.zeros(0, np.int64), 1, -1, False, np.empty(1, np.uint8), np.empty(1, np.int64),
                 np.empty(1, np.int64), np.empty(1, np.int32))
    best_crop_dots_at(np.zeros((1, 1, 1), np.int8), np.ones((1, 1), np.float32), np.zeros(1, np.int8),
                      np.zeros(1, np.int64), np.empty(1, np.float32))
    coarse_rows(np.zeros((1, 1, 207), np.int8), np.ones((1, 1), np.float32), 15, 4, 2, np.empty((1, 64), np.int8),
                np.empty(1, np.float32), np.empty((1, 1, 2), np.float32), np.empty((1, 1, 64), np.int8),
                np.empty((1, 1), np.float32), np.empty((1, 1), np.float32))
    crop_bounds_at(np.zeros((1, 1, 1), np.int8), np.ones((1, 1), np.float32), np.ones((1, 1), np.float32),
                   np.zeros(1, np.float32), np.float32(0.0), np.float32(0.0), np.zeros(1, np.int64),
                   np.empty(1, np.float32))
    best_crop_bounds(np.zeros((1, 1), np.int8), np.ones(1, np.float32), np.ones((1, 1, 2), np.float32),
                     np.zeros(1, np.float32), np.float32(0.0), np.float32(0.0), np.float32(0.0),
                     np.empty(1, np.float32))
    one = np.zeros(1, np.int64)
    profile_scores(np.zeros((1, 1), np.float32), np.zeros((1, 1), bool), np.ones((1, 2), bool),
                   np.array([False, True]), np.ones(1, np.float64), np.ones(1, np.float64), 1.0, one,
                   np.empty((1, 2), np.float32))
    label_evidence(np.zeros((1, 1), np.float32), np.zeros((1, 1), bool), one, np.ones(1, bool), False, one,
                   np.array([0, 1], np.int64), True, np.empty(1, np.int64), np.empty((1, 1)),
                   np.empty((1, 1), bool), np.empty((1, 1), bool))
    words = np.zeros((1, 4), np.uint64)
    rows, dist = np.empty(8, np.int64), np.empty(8, np.int32)
    scan_search(words, np.zeros(1, np.uint64), 1, -1, np.zeros(1, bool), False, rows, dist, False)
    tie_keys(np.zeros((1, 2), np.float32), np.zeros(1, np.int64), np.zeros(2, np.float32), np.empty(1, np.float32))
    # the argument types must be those of the real calls (``mih.MultiIndex._near_compiled``),
    # or the real call compiles its own version; radius 0 probes ring 0 of empty tables only
    values = np.arange(65536, dtype=np.int64)
    counts = np.bitwise_count(values)
    rings = np.concatenate([values[counts == s] for s in range(17)])
    ring_starts = np.concatenate([[0], np.cumsum([np.count_nonzero(counts == s) for s in range(17)])])
    mih_search(np.zeros((1, 0), np.uint64), np.zeros(0, np.int32), np.zeros(4 * 65536 + 1, np.int64),
               rings, ring_starts.astype(np.int64), np.zeros(4, np.int64), np.zeros(1, np.uint64), 1, 0, 1,
               0.0, np.zeros(1, bool), False, np.empty(8, np.int32), np.empty(8, np.int32))
    mih_top(np.zeros((1, 0), np.uint64), np.zeros(0, np.int32), np.zeros(4 * 65536 + 1, np.int64),
            rings, ring_starts.astype(np.int64), np.zeros((0, 1), np.uint64), 1, 1,
            0.0, np.zeros(1, bool), False, np.zeros((1, 1), np.float32), np.zeros((0, 1), np.float32), False,
            np.empty((0, 1), np.int32), np.empty((0, 1), np.int32), np.empty(0, np.int64))
