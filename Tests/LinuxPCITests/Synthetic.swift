import PCIConfig
@testable import LinuxPCI

/// Config space built in code for topologies the fixtures do not reach. Layout: PCI Express
/// capability at 0x40 (version 2), ACS extended capability at 0x100 (standard or Intel SPT dword
/// layout), bridge bus numbers at 0x18-0x1a, RCBA at 0xF0 when given.
enum Syn {
    struct ACS {
        var cap: ACSFlags
        var ctl: ACSFlags
        /// Intel SPT erratum layout: capability and control as dwords at +4 and +8.
        var dword = false
    }

    static func fn(_ bdf: String, _ id: UInt32, type: PCIExpressPortType? = .endpoint, multifunction: Bool = false,
                   classID: UInt16? = nil, acs: ACS? = nil, bus: (UInt8, UInt8, UInt8)? = nil, ariForwarding: Bool = false,
                   rcba: UInt32? = nil, subsystem: (UInt16, UInt16)? = nil, extended: Bool = true) -> PCIFunction {
        var c = ConfigSpace(bytes: [UInt8](repeating: 0, count: 4096), readable: extended ? 4096 : 256)
        c.set16(0x00, UInt16(id >> 16))
        c.set16(0x02, UInt16(id & 0xffff))
        let isBridge = bus != nil
        let cls = classID ?? (isBridge ? 0x0604 : 0x0200)
        c.set8(0x0a, UInt8(cls & 0xff))
        c.set8(0x0b, UInt8(cls >> 8))
        c.set8(0x0e, (isBridge ? 1 : 0) | (multifunction ? 0x80 : 0))
        if let (p, s, sub) = bus {
            c.set8(0x18, p); c.set8(0x19, s); c.set8(0x1a, sub)
        } else if let (sv, sd) = subsystem {
            c.set16(0x2c, sv); c.set16(0x2e, sd)
        }
        if let t = type {
            c.set16(0x06, 0x0010)
            c.set8(0x34, 0x40)
            c.set8(0x40, 0x10)
            c.set8(0x41, 0x00)
            c.set16(0x42, UInt16(t.rawValue) << 4 | 2)
            if ariForwarding { c.set16(0x40 + 0x28, 0x0020) }
            if let a = acs {
                c.set32(0x100, 0x0001_000d)
                if a.dword {
                    c.set32(0x104, UInt32(a.cap.rawValue))
                    c.set32(0x108, UInt32(a.ctl.rawValue))
                } else {
                    c.set16(0x104, a.cap.rawValue)
                    c.set16(0x106, a.ctl.rawValue)
                }
            }
        }
        if let r = rcba { c.set32(0xf0, r) }
        return PCIFunction(address: PCIAddress(bdf)!, config: c)
    }

    static let all: ACSFlags = [.sv, .tb, .rr, .cr, .uf]
    static let on = ACS(cap: all, ctl: .linuxRequired)
    static let off = ACS(cap: all, ctl: [])

    /// The q35-like host bridge that makes numbers predictable (8086:29c0, conventional).
    static let host = fn("00:00.0", 0x8086_29c0, type: nil, classID: 0x0600)
    /// A root port with ACS on.
    static func rootPort(_ bdf: String, secondary: UInt8, subordinate: UInt8? = nil, id: UInt32 = 0x1b36_000c,
                         acs: ACS? = on, multifunction: Bool = false, ari: Bool = false) -> PCIFunction {
        fn(bdf, id, type: .rootPort, multifunction: multifunction, acs: acs,
           bus: (0, secondary, subordinate ?? secondary), ariForwarding: ari)
    }
}
