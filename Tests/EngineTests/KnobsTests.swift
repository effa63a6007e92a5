// LOOM_* settings: usable values are taken, anything else is a message naming the variable and value.
import Engine
import Testing

@Suite struct KnobsTests {
    @Test func wholeNumbers() throws {
        #expect(try Knobs.wholeNumber("LOOM_THREADS", nil, minimum: 1).get() == nil)
        #expect(try Knobs.wholeNumber("LOOM_THREADS", "  ", minimum: 1).get() == nil)
        #expect(try Knobs.wholeNumber("LOOM_THREADS", " 3 ", minimum: 1).get() == 3)
        #expect(try Knobs.wholeNumber("LOOM_POOL_MB", "0", minimum: 0).get() == 0)
        for bad in ["two", "0", "-1", "2.5"] {
            guard case .failure(let e) = Knobs.wholeNumber("LOOM_THREADS", bad, minimum: 1) else {
                Issue.record("LOOM_THREADS=\(bad) accepted"); continue
            }
            #expect(e.message.contains("LOOM_THREADS=\"\(bad)\"") && e.message.contains("≥ 1"))
        }
    }

    @Test func choices() throws {
        #expect(try Knobs.choice("LOOM_CONV", nil, ["auto", "im2col"]).get() == nil)
        #expect(try Knobs.choice("LOOM_CONV", "IM2COL", ["auto", "im2col"]).get() == "im2col")
        guard case .failure(let e) = Knobs.choice("LOOM_CONV", "imcol", ["auto", "im2col"]) else {
            Issue.record("LOOM_CONV=imcol accepted"); return
        }
        #expect(e.message.contains("LOOM_CONV=\"imcol\"") && e.message.contains("auto, im2col"))
    }
}
