/// The bus tree drawn as `lspci -t` draws it (pciutils 3.9 ls-tree.c: `show_forest`,
/// `show_tree_bridge`, `show_tree_bus`, `show_tree_dev`), from a `PCIBusTree`: every function
/// under the bus it sits on, each bridge's buses under it, top-level buses in the order lspci
/// creates them, `-[ss-uu]-` after a bridge (`-` alone for a bridge whose secondary bus is 0).
///
/// With a filter (`-s`/`-d`), a function is drawn when it matches or when a bridge below it leads
/// to one that does (ls-tree.c `check_dev_filter`, `check_bus_filter`); a bus with nothing to draw
/// ends the line, as lspci ends it.
///
/// `annotate` adds text right after a function's `dd.f` (` (group 3, no ACS)`); continuation
/// lines blank it out like every other character that is not `+` or `|`, so the drawing stays
/// the same, only shifted right by the annotations. Without annotations the output is byte for
/// byte lspci's (tested against `lspci -F dump -t` on every committed dump).
public enum LspciTree {
    public static func render(_ functions: [PCIFunction], matching: ((PCIAddress) -> Bool)? = nil,
                              annotate: (PCIAddress) -> String? = { _ in nil }) -> String {
        let tree = PCIBusTree(functions)
        struct Bus: Hashable { var domain: UInt32; var number: UInt8 }
        // Buses per owner (nil = the host bridge), in creation order.
        var buses: [PCIAddress?: [Bus]] = [nil: [Bus(domain: 0, number: 0)]]
        var devices: [Bus: [PCIAddress]] = [:]
        for b in tree.bridges.keys.sorted() {
            buses[b, default: []].append(Bus(domain: b.domain, number: tree.bridges[b]!.secondary))
        }
        for a in tree.functions {
            let owner = tree.parent(of: a)
            let bus = Bus(domain: a.domain, number: a.bus)
            if !(buses[owner] ?? []).contains(bus) { buses[owner, default: []].append(bus) }
            devices[bus, default: []].append(a)
        }

        // check_dev_filter / check_bus_filter, memoized.
        var shown: [PCIAddress: Bool] = [:]
        func busShown(_ bus: Bus) -> Bool {
            matching == nil || (devices[bus] ?? []).contains { deviceShown($0) }
        }
        func deviceShown(_ a: PCIAddress) -> Bool {
            guard let matching else { return true }
            if let s = shown[a] { return s }
            let s = matching(a) || (tree.bridges[a] != nil && (buses[a] ?? []).contains { busShown($0) })
            shown[a] = s
            return s
        }

        var out = ""
        var line: [Character] = []
        // Positions holding annotation text: blanked on continuation lines whatever they hold.
        var isNote: [Bool] = []
        func put(_ s: String, _ p: Int, note: Bool = false) -> Int {
            var p = p
            for ch in s {
                if p < line.count { line[p] = ch; isNote[p] = note } else { line.append(ch); isNote.append(note) }
                p += 1
            }
            return p
        }
        func printIt(_ p: Int) {
            out += String(line[0..<p]) + "\n"
            line.removeSubrange(p...)
            isNote.removeSubrange(p...)
            for i in 0..<p {
                line[i] = !isNote[i] && (line[i] == "+" || line[i] == "|") ? "|" : " "
                isNote[i] = false
            }
        }
        func showDevice(_ a: PCIAddress, _ p0: Int) {
            var p = put(hex(a.device, width: 2) + "." + String(a.function, radix: 16), p0)
            if let note = annotate(a) { p = put(note, p, note: true) }
            if let n = tree.bridges[a] {
                p = put(n.secondary == 0 ? "-"
                        : n.secondary == n.subordinate ? "-[\(hex(n.secondary, width: 2))]-"
                        : "-[\(hex(n.secondary, width: 2))-\(hex(n.subordinate, width: 2))]-", p)
                showBridge(a, p)
                return
            }
            printIt(p)
        }
        func showBus(_ bus: Bus, _ p: Int) {
            let devs = (devices[bus] ?? [])
            if devs.isEmpty {
                printIt(p)
            } else if devs.count == 1 {
                if deviceShown(devs[0]) { showDevice(devs[0], put("--", p)) } else { printIt(p) }
            } else {
                let drawn = devs.filter { deviceShown($0) }
                if drawn.isEmpty { printIt(p); return }
                // lspci draws `\-` only before the bus's last device: when that one is filtered
                // out, every drawn device gets `+-`.
                for d in drawn where d != devs.last { showDevice(d, put("+-", p)) }
                if drawn.last == devs.last { showDevice(devs.last!, put("\\-", p)) }
            }
        }
        func showBridge(_ owner: PCIAddress?, _ p0: Int) {
            let p = put("-", p0)
            let list = buses[owner] ?? []
            if list.count == 1 {
                guard busShown(list[0]) else { printIt(p); return }
                var q = p
                if owner == nil { q = put("[\(hex(list[0].domain, width: 4)):\(hex(list[0].number, width: 2))]-", p) }
                showBus(list[0], q)
            } else {
                let drawn = list.filter { busShown($0) }
                if drawn.isEmpty { printIt(p); return }
                for b in drawn where b != list.last {
                    showBus(b, put("+-[\(hex(b.domain, width: 4)):\(hex(b.number, width: 2))]-", p))
                }
                if drawn.last == list.last {
                    let b = list.last!
                    showBus(b, put("\\-[\(hex(b.domain, width: 4)):\(hex(b.number, width: 2))]-", p))
                }
            }
        }
        showBridge(nil, 0)
        return out
    }
}
