// Config-space register offsets, bits and capability IDs, named as Linux names them in
// include/uapi/linux/pci_regs.h (pciutils' lib/header.h uses the same names, except for SR-IOV,
// which it calls PCI_IOV_*). Every offset and bit another file of this project reads comes from
// here: no module writes a raw offset (PCI Local Bus Specification 3.0 §6, PCI-to-PCI Bridge
// Architecture §3.2, PCIe Base Specification §7.5 and §7.7-7.9).
//
// Offsets are `Int` (what `ConfigSpace` reads take); bit masks have the register's width.
// swiftlint:disable identifier_name

// MARK: Type 0/1/2 header (PCI Local Bus Specification 3.0 §6.2)

/// Vendor ID, 16 bits.
public let PCI_VENDOR_ID = 0x00
/// Device ID, 16 bits.
public let PCI_DEVICE_ID = 0x02
/// Command, 16 bits.
public let PCI_COMMAND = 0x04
/// Status, 16 bits.
public let PCI_STATUS = 0x06
/// Status: the function has a capability list.
public let PCI_STATUS_CAP_LIST: UInt16 = 0x10
/// Revision ID, 8 bits.
public let PCI_REVISION_ID = 0x08
/// Programming interface, 8 bits.
public let PCI_CLASS_PROG = 0x09
/// Sub class and base class, 16 bits (`dev->class >> 8`).
public let PCI_CLASS_DEVICE = 0x0a
/// Header Type, 8 bits: layout in bits 6:0, multifunction in bit 7.
public let PCI_HEADER_TYPE = 0x0e
/// Header Type bits 6:0, the layout.
public let PCI_HEADER_TYPE_MASK: UInt8 = 0x7f
/// Layout 0: a normal function.
public let PCI_HEADER_TYPE_NORMAL: UInt8 = 0
/// Layout 1: a PCI-to-PCI bridge.
public let PCI_HEADER_TYPE_BRIDGE: UInt8 = 1
/// Layout 2: a CardBus bridge.
public let PCI_HEADER_TYPE_CARDBUS: UInt8 = 2
/// Header Type bit 7: the device has more than one function (Linux `PCI_HEADER_TYPE_MFD`).
public let PCI_HEADER_TYPE_MFD: UInt8 = 0x80
/// Type 0: Subsystem Vendor ID, 16 bits.
public let PCI_SUBSYSTEM_VENDOR_ID = 0x2c
/// Type 0: Subsystem ID, 16 bits.
public let PCI_SUBSYSTEM_ID = 0x2e
/// Type 0 and 1: offset of the first capability, 8 bits.
public let PCI_CAPABILITY_LIST = 0x34

/// Type 1: primary bus number.
public let PCI_PRIMARY_BUS = 0x18
/// Type 1: secondary bus number (the bus right below the bridge).
public let PCI_SECONDARY_BUS = 0x19
/// Type 1: subordinate bus number (the highest bus below the bridge).
public let PCI_SUBORDINATE_BUS = 0x1a

/// Type 2: offset of the first capability.
public let PCI_CB_CAPABILITY_LIST = 0x14
/// Type 2: primary bus number (same offset as `PCI_PRIMARY_BUS`).
public let PCI_CB_PRIMARY_BUS = 0x18
/// Type 2: CardBus bus number.
public let PCI_CB_CARD_BUS = 0x19
/// Type 2: subordinate bus number.
public let PCI_CB_SUBORDINATE_BUS = 0x1a
/// Type 2: Subsystem Vendor ID.
public let PCI_CB_SUBSYSTEM_VENDOR_ID = 0x40
/// Type 2: Subsystem ID.
public let PCI_CB_SUBSYSTEM_ID = 0x42

/// Size of the standardized header; capabilities start at or above it.
public let PCI_STD_HEADER_SIZEOF = 0x40
/// Size of the standard config space (PCI); extended config space (PCIe) starts here.
public let PCI_CFG_SPACE_SIZE = 0x100
/// Size of the PCI Express extended config space.
public let PCI_CFG_SPACE_EXP_SIZE = 0x1000

// MARK: Capability lists (PCI Local Bus Specification 3.0 §6.7, PCIe Base Specification §7.6.3)

/// Standard capability: its ID, 8 bits.
public let PCI_CAP_LIST_ID = 0
/// Standard capability: the next pointer, 8 bits.
public let PCI_CAP_LIST_NEXT = 1
/// Power Management.
public let PCI_CAP_ID_PM: UInt16 = 0x01
/// Message Signaled Interrupts.
public let PCI_CAP_ID_MSI: UInt16 = 0x05
/// PCI Express.
public let PCI_CAP_ID_EXP: UInt16 = 0x10
/// MSI-X.
public let PCI_CAP_ID_MSIX: UInt16 = 0x11

/// Extended capability header: ID in bits 15:0.
public func PCI_EXT_CAP_ID(_ header: UInt32) -> UInt16 { UInt16(header & 0xffff) }
/// Extended capability header: version in bits 19:16.
public func PCI_EXT_CAP_VER(_ header: UInt32) -> UInt8 { UInt8((header >> 16) & 0xf) }
/// Extended capability header: next capability offset in bits 31:20 (low two bits reserved).
public func PCI_EXT_CAP_NEXT(_ header: UInt32) -> Int { Int(header >> 20) & 0xffc }

public let PCI_EXT_CAP_ID_ERR: UInt16 = 0x01     // Advanced Error Reporting
public let PCI_EXT_CAP_ID_VC: UInt16 = 0x02      // Virtual Channel
public let PCI_EXT_CAP_ID_DSN: UInt16 = 0x03     // Device Serial Number
public let PCI_EXT_CAP_ID_PWR: UInt16 = 0x04     // Power Budgeting
public let PCI_EXT_CAP_ID_RCLD: UInt16 = 0x05    // Root Complex Link Declaration
public let PCI_EXT_CAP_ID_RCILC: UInt16 = 0x06   // Root Complex Internal Link Control
public let PCI_EXT_CAP_ID_RCEC: UInt16 = 0x07    // Root Complex Event Collector Endpoint Association
public let PCI_EXT_CAP_ID_MFVC: UInt16 = 0x08    // Multi-Function Virtual Channel
public let PCI_EXT_CAP_ID_VC9: UInt16 = 0x09     // Virtual Channel (second ID)
public let PCI_EXT_CAP_ID_RCRB: UInt16 = 0x0a    // Root Complex Register Block
public let PCI_EXT_CAP_ID_VNDR: UInt16 = 0x0b    // Vendor-Specific
public let PCI_EXT_CAP_ID_CAC: UInt16 = 0x0c     // Config Access Correlation
public let PCI_EXT_CAP_ID_ACS: UInt16 = 0x0d     // Access Control Services
public let PCI_EXT_CAP_ID_ARI: UInt16 = 0x0e     // Alternative Routing-ID Interpretation
public let PCI_EXT_CAP_ID_ATS: UInt16 = 0x0f     // Address Translation Services
public let PCI_EXT_CAP_ID_SRIOV: UInt16 = 0x10   // Single Root I/O Virtualization
public let PCI_EXT_CAP_ID_MRIOV: UInt16 = 0x11   // Multi Root I/O Virtualization
public let PCI_EXT_CAP_ID_MCAST: UInt16 = 0x12   // Multicast
public let PCI_EXT_CAP_ID_PRI: UInt16 = 0x13     // Page Request Interface
public let PCI_EXT_CAP_ID_REBAR: UInt16 = 0x15   // Resizable BAR
public let PCI_EXT_CAP_ID_DPA: UInt16 = 0x16     // Dynamic Power Allocation
public let PCI_EXT_CAP_ID_TPH: UInt16 = 0x17     // TPH Requester
public let PCI_EXT_CAP_ID_LTR: UInt16 = 0x18     // Latency Tolerance Reporting
public let PCI_EXT_CAP_ID_SECPCI: UInt16 = 0x19  // Secondary PCI Express
public let PCI_EXT_CAP_ID_PMUX: UInt16 = 0x1a    // Protocol Multiplexing
public let PCI_EXT_CAP_ID_PASID: UInt16 = 0x1b   // Process Address Space ID
public let PCI_EXT_CAP_ID_LNR: UInt16 = 0x1c     // LN Requester
public let PCI_EXT_CAP_ID_DPC: UInt16 = 0x1d     // Downstream Port Containment
public let PCI_EXT_CAP_ID_L1SS: UInt16 = 0x1e    // L1 PM Substates
public let PCI_EXT_CAP_ID_PTM: UInt16 = 0x1f     // Precision Time Measurement
public let PCI_EXT_CAP_ID_FRS: UInt16 = 0x21     // FRS Queueing
public let PCI_EXT_CAP_ID_RTR: UInt16 = 0x22     // Readiness Time Reporting
public let PCI_EXT_CAP_ID_DVSEC: UInt16 = 0x23   // Designated Vendor-Specific
public let PCI_EXT_CAP_ID_VF_REBAR: UInt16 = 0x24 // VF Resizable BAR
public let PCI_EXT_CAP_ID_DLF: UInt16 = 0x25     // Data Link Feature
public let PCI_EXT_CAP_ID_PL_16GT: UInt16 = 0x26 // Physical Layer 16.0 GT/s
public let PCI_EXT_CAP_ID_LMR: UInt16 = 0x27    // Lane Margining at the Receiver
public let PCI_EXT_CAP_ID_NPEM: UInt16 = 0x29    // Native PCIe Enclosure Management
public let PCI_EXT_CAP_ID_PL_32GT: UInt16 = 0x2a // Physical Layer 32.0 GT/s
public let PCI_EXT_CAP_ID_DOE: UInt16 = 0x2e     // Data Object Exchange
public let PCI_EXT_CAP_ID_PL_64GT: UInt16 = 0x31 // Physical Layer 64.0 GT/s

// MARK: PCI Express capability (PCIe Base Specification §7.5.3)

/// PCI Express Capabilities register, 16 bits.
public let PCI_EXP_FLAGS = 0x02
/// Capability version.
public let PCI_EXP_FLAGS_VERS: UInt16 = 0x000f
/// Device/Port type (`PCI_EXP_TYPE_*`, see `PCIExpressPortType`).
public let PCI_EXP_FLAGS_TYPE: UInt16 = 0x00f0
/// Slot Implemented (root and downstream ports).
public let PCI_EXP_FLAGS_SLOT: UInt16 = 0x0100
/// Link Capabilities, 32 bits.
public let PCI_EXP_LNKCAP = 0x0c
/// Link Capabilities: Maximum Link Width, bits 9:4.
public let PCI_EXP_LNKCAP_MLW: UInt32 = 0x0000_03f0
/// Device Control 2, 16 bits (capability version 2).
public let PCI_EXP_DEVCTL2 = 0x28
/// Device Control 2: ARI Forwarding Enable (Linux `pci_ari_enabled(bus)` of the bus below).
public let PCI_EXP_DEVCTL2_ARI: UInt16 = 0x0020

// MARK: Access Control Services (PCIe Base Specification §7.7.8)

/// ACS Capability register, 16 bits.
public let PCI_ACS_CAP = 0x04
/// Egress Control Vector Size, the upper byte of the ACS Capability register.
public let PCI_ACS_EGRESS_BITS = 0x05
/// ACS Control register, 16 bits.
public let PCI_ACS_CTRL = 0x06
/// Egress Control Vector, when EC is implemented.
public let PCI_ACS_EGRESS_CTL_V = 0x08
/// Intel Sunrise Point erratum (Linux `pci_quirk_intel_spt_pch_acs`, drivers/pci/quirks.c): the
/// ACS Capability register read as a dword at +4 (`INTEL_SPT_ACS_CAP`).
public let INTEL_SPT_ACS_CAP = 0x04
/// The same erratum: the ACS Control register read as a dword at +8 (`INTEL_SPT_ACS_CTRL`).
public let INTEL_SPT_ACS_CTRL = 0x08

/// `INTEL_LPC_RCBA_REG` (drivers/pci/quirks.c): the Root Complex Base Address register of the
/// Intel LPC bridge.
public let INTEL_LPC_RCBA_REG = 0xf0
/// `INTEL_LPC_RCBA_ENABLE`: its enable bit.
public let INTEL_LPC_RCBA_ENABLE: UInt32 = 1 << 0

// MARK: Alternative Routing-ID Interpretation (PCIe Base Specification §7.8.8)

/// ARI Capability register, 16 bits.
public let PCI_ARI_CAP = 0x04
/// ARI Control register, 16 bits.
public let PCI_ARI_CTRL = 0x06

// MARK: Registers the extent of other extended capabilities is computed from (PCIe Base Specification §7.9)

/// Virtual Channel: Port VC Capability 1 (Extended VC Count bits 2:0, Low Priority Extended VC
/// Count bits 6:4, Port Arbitration Table Entry Size bits 11:10).
public let PCI_VC_PORT_CAP1 = 0x04
public let PCI_VC_CAP1_EVCC: UInt32 = 0x0000_0007
public let PCI_VC_CAP1_LPEVCC: UInt32 = 0x0000_0070
public let PCI_VC_CAP1_ARB_SIZE: UInt32 = 0x0000_0c00
/// Virtual Channel: Port VC Capability 2 (VC Arbitration Capability, Table Offset bits 31:24).
public let PCI_VC_PORT_CAP2 = 0x08
public let PCI_VC_CAP2_32_PHASE: UInt32 = 0x0000_0002
public let PCI_VC_CAP2_64_PHASE: UInt32 = 0x0000_0004
public let PCI_VC_CAP2_128_PHASE: UInt32 = 0x0000_0008
/// Virtual Channel: the first VC Resource Capability register; one resource per VC.
public let PCI_VC_RES_CAP = 0x10
/// Size of one VC resource (Capability, Control, Status).
public let PCI_CAP_VC_PER_VC_SIZEOF = 0x0c
public let PCI_VC_RES_CAP_32_PHASE: UInt32 = 0x0000_0002
public let PCI_VC_RES_CAP_64_PHASE: UInt32 = 0x0000_0004
public let PCI_VC_RES_CAP_128_PHASE: UInt32 = 0x0000_0008
public let PCI_VC_RES_CAP_128_PHASE_TB: UInt32 = 0x0000_0010
public let PCI_VC_RES_CAP_256_PHASE: UInt32 = 0x0000_0020
/// Root Complex Link Declaration: Element Self Description (Number of Link Entries bits 15:8).
public let PCI_RCLINK_ESD = 0x04
/// Root Complex Link Declaration: the first link entry; entries are 16 bytes.
public let PCI_RCLINK_LINK1 = 0x10
public let PCI_RCLINK_LINK_SIZE = 0x10
/// Vendor-Specific: the header with the length in bits 31:20.
public let PCI_VNDR_HEADER = 0x04
/// Designated Vendor-Specific: Header 1 with the length in bits 31:20.
public let PCI_DVSEC_HEADER1 = 0x04
/// Resizable BAR: the first control register (Number of Resizable BARs bits 7:5); 8 bytes per BAR.
public let PCI_REBAR_CTRL = 0x08
public let PCI_REBAR_CTRL_NBAR_MASK: UInt32 = 0x0000_00e0
/// Dynamic Power Allocation: capability (Substate Max bits 4:0); one byte per substate from +0x10.
public let PCI_DPA_CAP = 0x04
public let PCI_DPA_CAP_SUBSTATE_MASK: UInt32 = 0x0000_001f
public let PCI_DPA_BASE_SIZEOF = 0x10
/// TPH Requester: capability (ST Table Location bits 10:9, ST Table Size bits 26:16); two bytes
/// per steering-table entry from +0x0c when the table is in the capability.
public let PCI_TPH_CAP = 0x04
public let PCI_TPH_CAP_LOC_MASK: UInt32 = 0x0000_0600
public let PCI_TPH_LOC_CAP: UInt32 = 0x0000_0200
public let PCI_TPH_CAP_ST_MASK: UInt32 = 0x07ff_0000
public let PCI_TPH_BASE_SIZEOF = 0x0c
/// Downstream Port Containment: capability (RP Extensions bit 5, RP PIO Log Size bits 11:8 and 13).
public let PCI_EXP_DPC_CAP = 0x04
public let PCI_EXP_DPC_CAP_RP_EXT: UInt16 = 0x0020
public let PCI_EXP_DPC_RP_PIO_LOG_SIZE: UInt16 = 0x0f00
public let PCI_EXP_DPC_RP_PIO_LOG_SIZE4: UInt16 = 0x2000
/// Downstream Port Containment: the RP PIO Header Log, where root port extensions start logging.
public let PCI_EXP_DPC_RP_PIO_HEADER_LOG = 0x20
/// Secondary PCI Express: the Lane Equalization Control registers, 2 bytes per lane.
public let PCI_SECPCI_LE_CTRL = 0x0c
/// Physical Layer 16.0/32.0/64.0 GT/s: the per-lane registers, 1 byte per lane.
public let PCI_PL_16GT_LE_CTRL = 0x20
/// Lane Margining at the Receiver: the per-lane control and status, 4 bytes per lane.
public let PCI_LMR_LANE_CTRL = 0x08

// MARK: Device Serial Number (PCIe Base Specification §7.9.3)

/// The 64-bit serial number (lower dword, then upper dword).
public let PCI_DSN_SERIAL = 0x04

// MARK: Single Root I/O Virtualization (PCIe Base Specification §9.3.3)

/// SR-IOV Capabilities, 32 bits.
public let PCI_SRIOV_CAP = 0x04
/// SR-IOV Capabilities: VF Migration Capable.
public let PCI_SRIOV_CAP_VFM: UInt32 = 0x0000_0001
/// SR-IOV Control, 16 bits.
public let PCI_SRIOV_CTRL = 0x08
/// SR-IOV Control: VF Enable.
public let PCI_SRIOV_CTRL_VFE: UInt16 = 0x0001
/// SR-IOV Control: ARI Capable Hierarchy.
public let PCI_SRIOV_CTRL_ARI: UInt16 = 0x0010
/// SR-IOV Status, 16 bits.
public let PCI_SRIOV_STATUS = 0x0a
/// InitialVFs, 16 bits.
public let PCI_SRIOV_INITIAL_VF = 0x0c
/// TotalVFs, 16 bits.
public let PCI_SRIOV_TOTAL_VF = 0x0e
/// NumVFs, 16 bits.
public let PCI_SRIOV_NUM_VF = 0x10
/// Function Dependency Link, 8 bits.
public let PCI_SRIOV_FUNC_LINK = 0x12
/// First VF Offset, 16 bits (routing ID of VF 1 relative to the PF).
public let PCI_SRIOV_VF_OFFSET = 0x14
/// VF Stride, 16 bits (routing ID distance between consecutive VFs).
public let PCI_SRIOV_VF_STRIDE = 0x16
/// VF Device ID, 16 bits.
public let PCI_SRIOV_VF_DID = 0x1a

// swiftlint:enable identifier_name
