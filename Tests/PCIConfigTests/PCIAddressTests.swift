import Foundation
import PCIConfig
import Testing

@Suite struct PCIAddressTests {
    @Test(arguments: [
        ("0000:00:1c.0", "0000:00:1c.0"),
        ("00:1c.0", "0000:00:1c.0"),
        ("0000:0A:1F.7", "0000:0a:1f.7"),
        ("10000:00:00.0", "10000:00:00.0"),
        ("0001:02:00.0", "0001:02:00.0"),
        ("0:0.0", "0000:00:00.0"),
        ("ff:1f.7", "0000:ff:1f.7"),
    ])
    func parsesAndPrints(_ text: String, _ printed: String) throws {
        let a = try #require(PCIAddress(text))
        #expect(a.description == printed)
        #expect(PCIAddress(a.description) == a)
    }

    @Test(arguments: [
        "", "1c.0", "00:20.0", "00:1f.8", "00:00.a", "00:00.10", "00:00.", "00:00", "::.", "100000:00:00.0",
        "000:00:00.0 ", " 00:00.0", "00:00.0 ", "00:100.0", "000:00.0", "0000:00:00:00.0", "00:1f.-1", "g0:00.0",
        "00.00.0", "0000:00:00.0\n",
    ])
    func rejects(_ text: String) {
        #expect(PCIAddress(text) == nil, "\(text.debugDescription) should not parse")
    }

    @Test func componentsAreRangeChecked() {
        #expect(PCIAddress(bus: 0, device: 0x20, function: 0) == nil)
        #expect(PCIAddress(bus: 0, device: 0x1f, function: 8) == nil)
        #expect(PCIAddress(domain: 0xfffff, bus: 0xff, device: 0x1f, function: 7)?.description == "fffff:ff:1f.7")
    }

    @Test func devfnAndRequesterIDRoundTripForEveryDevfn() throws {
        for devfn in 0...255 {
            let a = PCIAddress(domain: 3, bus: 0x42, devfn: UInt8(devfn))
            #expect(a.devfn == UInt8(devfn))
            #expect(a.requesterID == 0x4200 | UInt16(devfn))
            #expect(Int(a.device) == devfn >> 3 && Int(a.function) == devfn & 7)
            #expect(PCIAddress(a.description) == a)
            #expect(a.shortDescription == String(a.description.dropFirst(5)))
        }
    }

    @Test func ordersByDomainBusDeviceFunction() throws {
        let texts = ["0001:00:00.0", "0000:01:00.0", "0000:00:1f.7", "0000:00:02.0", "0000:00:01.1", "0000:00:01.0"]
        let sorted = texts.compactMap { PCIAddress($0) }.sorted().map(\.description)
        #expect(sorted == ["0000:00:01.0", "0000:00:01.1", "0000:00:02.0", "0000:00:1f.7", "0000:01:00.0", "0001:00:00.0"])
    }

    @Test func codableAsText() throws {
        let a = try #require(PCIAddress("0000:03:00.1"))
        let data = try JSONEncoder().encode([a])
        #expect(String(decoding: data, as: UTF8.self) == #"["0000:03:00.1"]"#)
        #expect(try JSONDecoder().decode([PCIAddress].self, from: data) == [a])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([PCIAddress].self, from: Data(#"["00:20.0"]"#.utf8)) }
    }

    @Test func hexHelpers() {
        #expect(hex(0x1c, width: 2) == "1c")
        #expect(hex(0x3, width: 4) == "0003")
        #expect(hex(0x12345, width: 4) == "12345")
        #expect(parseHexID("0x8086") == 0x8086 && parseHexID("8086") == 0x8086 && parseHexID("0X1b36") == 0x1b36)
        #expect(parseHexID("") == nil && parseHexID("0x") == nil && parseHexID("12345") == nil && parseHexID("80g6") == nil)
    }
}

/// `VVVV:DDDD` as `show`, `groups --quirk` and the generators read it.
@Suite struct PCIDeviceIDTests {
    @Test func parsesAndPrints() throws {
        let a = try #require(PCIDeviceID("8086:10d3"))
        #expect(a == PCIDeviceID(vendor: 0x8086, device: 0x10d3))
        #expect(a.description == "8086:10d3")
        #expect(PCIDeviceID("0x1B36:0X10")?.description == "1b36:0010")
        #expect(PCIDeviceID("1d17:0722") ?? a < a)
        for bad in ["", "8086", "8086:", ":10d3", "8086:10d3:0", "8086 :10d3", " 8086:10d3", "8086:12345", "80g6:10d3", "8086:０１"] {
            #expect(PCIDeviceID(bad) == nil, "\(bad)")
        }
    }
}
