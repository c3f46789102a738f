import PCIConfig

/// Config spaces built byte by byte with `ConfigSpace.set*`, the way the PCIe spec lays them out:
/// a type 0 or type 1 header (PCI Local Bus Specification 3.0 §6.1, PCI-to-PCI Bridge
/// Architecture §3.2), a capability list at 0x40 holding the PCI Express capability (PCIe Base
/// Specification §7.5.3) and, from 0x100, whatever extended capabilities a test puts there.
enum Synthetic {
    static func function(vendor: UInt16 = 0x1234, device: UInt16 = 0x5678, classID: UInt16 = 0x0200,
                         header: UInt8 = 0x00, portType: PCIExpressPortType? = .endpoint) -> ConfigSpace {
        var c = ConfigSpace(bytes: [UInt8](repeating: 0, count: ConfigSpace.size), readable: ConfigSpace.size)
        c.set16(0x00, vendor)
        c.set16(0x02, device)
        c.set16(0x0a, classID)
        c.set8(0x0e, header)
        // Extended space starts empty: a header of 0 ends the extended list.
        if let portType {
            c.set16(0x06, 0x0010)                       // Status: Capabilities List
            c.set8(0x34, 0x40)                          // Capabilities Pointer
            c.set8(0x40, UInt8(PCI_CAP_ID_EXP))
            c.set8(0x41, 0x00)                          // last capability
            c.set16(0x42, 0x0002 | UInt16(portType.rawValue) << 4)
        }
        return c
    }

    /// A PCI-to-PCI bridge with the given bus numbers (class 0x0604, header type 1).
    static func bridge(primary: UInt8, secondary: UInt8, subordinate: UInt8,
                       portType: PCIExpressPortType? = .rootPort, multifunction: Bool = false) -> ConfigSpace {
        var c = function(classID: 0x0604, header: multifunction ? 0x81 : 0x01, portType: portType)
        c.set8(0x18, primary)
        c.set8(0x19, secondary)
        c.set8(0x1a, subordinate)
        return c
    }

    /// Writes `bytes` (a multiple of 4) as dwords from `offset`.
    static func put(_ bytes: [UInt8], at offset: Int, in c: inout ConfigSpace) {
        precondition(bytes.count % 4 == 0)
        for i in stride(from: 0, to: bytes.count, by: 4) {
            let v = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            c.set32(offset + i, v)
        }
    }

    /// An extended capability header: ID, version 1, next pointer.
    static func extHeader(_ id: UInt16, next: Int) -> UInt32 {
        UInt32(id) | 1 << 16 | UInt32(next) << 20
    }
}
