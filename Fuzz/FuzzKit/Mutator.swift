/// SplitMix64: a tiny deterministic generator, so a seed names the same inputs on every machine.
public struct SplitMix: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<n (n > 0).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Structure-blind mutations of the kind libFuzzer makes (bits, bytes, interesting values,
/// dictionary tokens, ranges erased or copied, splices of another input) plus line operations,
/// since most inputs here are text.
public struct Mutator {
    public var rng: SplitMix
    let dictionary: [[UInt8]]
    let corpus: [[UInt8]]
    /// The target's own mutation (`FuzzTarget.mutate`), tried for half of the changes.
    let structural: (inout [UInt8], inout SplitMix) -> Bool
    /// Inputs never grow past this many bytes.
    let maxSize: Int

    static let interesting: [UInt8] = [0x00, 0x01, 0x0a, 0x0d, 0x20, 0x3a, 0x2e, 0x7f, 0x80, 0xfc, 0xfe, 0xff]

    public init(seed: UInt64, corpus: [[UInt8]], dictionary: [[UInt8]], maxSize: Int = 1 << 20,
                structural: @escaping (inout [UInt8], inout SplitMix) -> Bool = { _, _ in false }) {
        rng = SplitMix(seed: seed)
        self.corpus = corpus
        self.dictionary = dictionary
        self.maxSize = maxSize
        self.structural = structural
    }

    /// A corpus entry changed by one to four mutations.
    public mutating func next() -> [UInt8] {
        var input = corpus.isEmpty ? [] : corpus[rng.below(corpus.count)]
        for _ in 0..<(1 + rng.below(4)) {
            if rng.below(2) == 0, structural(&input, &rng) { continue }
            mutate(&input)
        }
        if input.count > maxSize { input.removeLast(input.count - maxSize) }
        return input
    }

    public mutating func mutate(_ b: inout [UInt8]) {
        if b.isEmpty { b = [UInt8(truncatingIfNeeded: rng.next())]; return }
        let at = rng.below(b.count)
        switch rng.below(12) {
        case 0: b[at] ^= 1 << UInt8(rng.below(8))
        case 1: b[at] = UInt8(truncatingIfNeeded: rng.next())
        case 2: b[at] = Mutator.interesting[rng.below(Mutator.interesting.count)]
        case 3 where !dictionary.isEmpty: b.insert(contentsOf: dictionary[rng.below(dictionary.count)], at: at)
        case 4 where !dictionary.isEmpty:
            let t = dictionary[rng.below(dictionary.count)]
            for (i, c) in t.enumerated() where at + i < b.count { b[at + i] = c }
        case 5: b.removeSubrange(at..<min(b.count, at + 1 + rng.below(16)))
        case 6:
            let end = min(b.count, at + 1 + rng.below(64))
            b.insert(contentsOf: Array(b[at..<end]), at: rng.below(b.count))
        case 7 where !corpus.isEmpty:
            let other = corpus[rng.below(corpus.count)]
            guard !other.isEmpty else { return }
            let from = rng.below(other.count)
            let piece = other[from..<min(other.count, from + 1 + rng.below(256))]
            b.replaceSubrange(at..<min(b.count, at + piece.count), with: piece)
        case 8: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
        case 9, 10, 11: mutateLines(&b)
        default: b[at] = Mutator.interesting[rng.below(Mutator.interesting.count)]
        }
    }

    /// Deletes, duplicates (up to 150 times, to push past caps) or swaps whole lines.
    mutating func mutateLines(_ b: inout [UInt8]) {
        var starts = [0]
        for (i, c) in b.enumerated() where c == 0x0a && i + 1 < b.count { starts.append(i + 1) }
        func line(_ k: Int) -> Range<Int> { starts[k]..<(k + 1 < starts.count ? starts[k + 1] : b.count) }
        let k = rng.below(starts.count)
        let r = line(k)
        switch rng.below(3) {
        case 0: b.removeSubrange(r)
        case 1:
            let copy = Array(b[r])
            let times = rng.below(4) == 0 ? 1 + rng.below(150) : 1
            for _ in 0..<times where b.count + copy.count <= maxSize { b.insert(contentsOf: copy, at: r.lowerBound) }
        default:
            let other = line(rng.below(starts.count))
            guard other != r else { return }
            let (first, second) = r.lowerBound < other.lowerBound ? (r, other) : (other, r)
            guard first.upperBound <= second.lowerBound else { return }
            let a = Array(b[first]), c = Array(b[second])
            b.replaceSubrange(second, with: a)
            b.replaceSubrange(first, with: c)
        }
    }
}
