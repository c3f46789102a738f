import PCIConfig
