//! An embassy-net driver for the SMSC LAN9118 Ethernet controller as QEMU emulates it on mps2-an386, written
//! from the datasheet's register model (the real board's LAN9220 is register-compatible; untested there).
//!
//! The chip has FIFOs, not DMA: a received frame is a status word in the RX status FIFO plus its data words
//! (and CRC) in the RX data FIFO; a frame is sent by writing two command words and its data words into the TX
//! data FIFO. The driver copies one frame at a time through its own buffers.
//!
//! Waking: instead of the chip's interrupt line, the SysTick interrupt calls [`on_tick`] every millisecond,
//! which wakes the network task when a frame is waiting (one register read) or when the driver asked to be
//! polled again (TX FIFO full, link down). That keeps all `unsafe` in [`crate::mmio`] and adds at most 1 ms of
//! latency.

use core::sync::atomic::{AtomicBool, Ordering};
use core::task::Context;

use embassy_net_driver::{Capabilities, Driver, HardwareAddress, LinkState, RxToken, TxToken};
use embassy_sync::waitqueue::AtomicWaker;

use crate::mmio::Window;

/// Register offsets in the window (LAN9118 datasheet, "System Control and Status Registers").
mod reg {
    pub const RX_DATA_FIFO: u8 = 0x00;
    pub const TX_DATA_FIFO: u8 = 0x20;
    pub const RX_STATUS_FIFO: u8 = 0x40;
    pub const TX_STATUS_FIFO: u8 = 0x48;
    pub const ID_REV: u8 = 0x50;
    pub const IRQ_CFG: u8 = 0x54;
    pub const INT_STS: u8 = 0x58;
    pub const INT_EN: u8 = 0x5c;
    pub const BYTE_TEST: u8 = 0x64;
    pub const RX_CFG: u8 = 0x6c;
    pub const TX_CFG: u8 = 0x70;
    pub const HW_CFG: u8 = 0x74;
    pub const RX_FIFO_INF: u8 = 0x7c;
    pub const TX_FIFO_INF: u8 = 0x80;
    pub const PMT_CTRL: u8 = 0x84;
    pub const FREE_RUN: u8 = 0x9c;
    pub const MAC_CSR_CMD: u8 = 0xa4;
    pub const MAC_CSR_DATA: u8 = 0xa8;
}

/// MAC registers, reached through `MAC_CSR_CMD`/`MAC_CSR_DATA`.
mod mac {
    pub const CR: u8 = 1;
    pub const ADDRH: u8 = 2;
    pub const ADDRL: u8 = 3;
    pub const MII_ACC: u8 = 6;
    pub const MII_DATA: u8 = 7;

    pub const CR_FDPX: u32 = 1 << 20;
    pub const CR_TXEN: u32 = 1 << 3;
    pub const CR_RXEN: u32 = 1 << 2;
}

/// What `BYTE_TEST` reads on every LAN911x/LAN9220: proves the chip is there and the bus order right.
const BYTE_TEST_VALUE: u32 = 0x8765_4321;
/// `HW_CFG.SRST`: soft reset, self-clearing.
const HW_CFG_SRST: u32 = 1;
/// `PMT_CTRL.READY`: the chip is out of reset.
const PMT_CTRL_READY: u32 = 1;
/// `IRQ_CFG`: push-pull, active high, output disabled (the driver polls).
const IRQ_CFG_QUIET: u32 = (1 << 4) | 1;
/// `TX_CFG.TX_ON` and `TX_CFG.TXSAO` (a full TX status FIFO does not stop the transmitter).
const TX_CFG_ON: u32 = (1 << 1) | (1 << 2);
/// `MAC_CSR_CMD.CSRBusy` and `MAC_CSR_CMD.R/nW`.
const CSR_BUSY: u32 = 1 << 31;
const CSR_READ: u32 = 1 << 30;
/// `MII_ACC`: PHY address 1 (the internal PHY), busy bit.
const MII_PHY_ADDRESS: u32 = 1 << 11;
const MII_BUSY: u32 = 1;
/// The PHY's basic status register and its link bit.
const PHY_BSR: u32 = 1;
const PHY_BSR_LINK: u32 = 1 << 2;
/// RX status word: error summary bit and length field (frame plus 4 bytes of CRC).
const RX_STATUS_ERROR: u32 = 1 << 15;
const RX_STATUS_LENGTH_SHIFT: u32 = 16;
const RX_STATUS_LENGTH_MASK: u32 = 0x3fff;
/// TX command A: first and last segment (one buffer per frame).
const TX_CMD_A_FIRST_LAST: u32 = (1 << 13) | (1 << 12);
/// How many times a busy bit is polled before giving up (QEMU clears them at once; the chip in microseconds).
const BUSY_POLLS: u32 = 10_000;

/// Longest frame sent or received without its CRC: 1500 bytes of payload and the 14-byte header.
pub const MTU: usize = 1514;
/// Frame buffers: the MTU, rounded up to whole FIFO words.
const FRAME_BUFFER: usize = 1516;

/// Why the chip could not be brought up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum InitError {
    /// `BYTE_TEST` did not read `0x87654321`: no LAN9118 at 0x4020_0000 (this holds the value read).
    NotFound(u32),
    /// The soft reset did not finish.
    ResetTimeout,
    /// A MAC or PHY register access stayed busy.
    MacTimeout,
}

/// The network task's waker, and whether it asked to be woken by [`on_tick`].
static WAKER: AtomicWaker = AtomicWaker::new();
static WAITING: AtomicBool = AtomicBool::new(false);
/// Set when the driver wants to be polled on the next tick whatever the chip says (TX FIFO full, link down).
static POLL_SOON: AtomicBool = AtomicBool::new(false);

/// Called from the 1 kHz SysTick interrupt: wakes the network task if it waits and there is something to do.
pub fn on_tick() {
    if !WAITING.load(Ordering::Acquire) {
        return;
    }
    let frames_waiting = rx_statuses(Window::LAN9118) > 0;
    if frames_waiting || POLL_SOON.swap(false, Ordering::AcqRel) {
        WAITING.store(false, Ordering::Release);
        WAKER.wake();
    }
}

/// Received frames waiting in the RX status FIFO.
fn rx_statuses(regs: Window) -> u32 {
    (regs.read(reg::RX_FIFO_INF) >> 16) & 0xff
}

/// Statuses of sent frames waiting in the TX status FIFO.
fn tx_statuses(regs: Window) -> u32 {
    (regs.read(reg::TX_FIFO_INF) >> 16) & 0xff
}

/// Free bytes in the TX data FIFO.
fn tx_free(regs: Window) -> usize {
    (regs.read(reg::TX_FIFO_INF) & 0xffff) as usize
}

/// Asks [`on_tick`] to wake the task of `cx`; `soon` wakes it on the next tick even if no frame arrives.
fn wait(cx: &Context<'_>, soon: bool) {
    WAKER.register(cx.waker());
    if soon {
        POLL_SOON.store(true, Ordering::Release);
    }
    WAITING.store(true, Ordering::Release);
}

/// The LAN9118 as an embassy-net device.
pub struct Lan9118 {
    regs: Window,
    mac: [u8; 6],
    rx: [u8; FRAME_BUFFER],
    tx: [u8; FRAME_BUFFER],
}

impl Lan9118 {
    /// Resets the chip and starts its MAC: keeps the address the chip loaded from its EEPROM (QEMU: `-nic
    /// ...,mac=`), or sets `fallback` when that is not a usable unicast address.
    pub fn new(fallback: [u8; 6]) -> Result<Self, InitError> {
        let regs = Window::LAN9118;
        let test = regs.read(reg::BYTE_TEST);
        if test != BYTE_TEST_VALUE {
            return Err(InitError::NotFound(test));
        }
        regs.write(reg::HW_CFG, HW_CFG_SRST);
        let ready = (0..BUSY_POLLS)
            .any(|_| regs.read(reg::HW_CFG) & HW_CFG_SRST == 0 && regs.read(reg::PMT_CTRL) & PMT_CTRL_READY != 0);
        if !ready {
            return Err(InitError::ResetTimeout);
        }
        let mut driver = Lan9118 {
            regs,
            mac: fallback,
            rx: [0; FRAME_BUFFER],
            tx: [0; FRAME_BUFFER],
        };
        let low = driver.mac_read(mac::ADDRL)?.to_le_bytes();
        let high = driver.mac_read(mac::ADDRH)?.to_le_bytes();
        let loaded = [low[0], low[1], low[2], low[3], high[0], high[1]];
        let unicast = loaded[0] & 1 == 0 && loaded != [0; 6];
        if unicast {
            driver.mac = loaded;
        } else {
            let m = fallback;
            driver.mac_write(mac::ADDRL, u32::from_le_bytes([m[0], m[1], m[2], m[3]]))?;
            driver.mac_write(mac::ADDRH, u32::from_le_bytes([m[4], m[5], 0, 0]))?;
        }
        regs.write(reg::IRQ_CFG, IRQ_CFG_QUIET);
        regs.write(reg::INT_EN, 0);
        regs.write(reg::INT_STS, u32::MAX);
        regs.write(reg::RX_CFG, 0); // no offset, no end padding: frames start at the first data word
        regs.write(reg::TX_CFG, TX_CFG_ON);
        // Own address, broadcast; not promiscuous (the reset value).
        driver.mac_write(mac::CR, mac::CR_TXEN | mac::CR_RXEN | mac::CR_FDPX)?;
        Ok(driver)
    }

    /// The MAC address in use.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// The chip's id and revision (`0x0118_0001` for a LAN9118 rev. 1).
    pub fn id(&self) -> u32 {
        self.regs.read(reg::ID_REV)
    }

    /// The chip's free-running 25 MHz counter: boot-to-boot jitter, for seeding when nothing better exists.
    pub fn free_run(&self) -> u32 {
        self.regs.read(reg::FREE_RUN)
    }

    fn csr_idle(&self) -> Result<(), InitError> {
        let idle = (0..BUSY_POLLS).any(|_| self.regs.read(reg::MAC_CSR_CMD) & CSR_BUSY == 0);
        idle.then_some(()).ok_or(InitError::MacTimeout)
    }

    fn mac_read(&self, index: u8) -> Result<u32, InitError> {
        self.csr_idle()?;
        self.regs
            .write(reg::MAC_CSR_CMD, CSR_BUSY | CSR_READ | u32::from(index));
        self.csr_idle()?;
        Ok(self.regs.read(reg::MAC_CSR_DATA))
    }

    fn mac_write(&self, index: u8, value: u32) -> Result<(), InitError> {
        self.csr_idle()?;
        self.regs.write(reg::MAC_CSR_DATA, value);
        self.regs.write(reg::MAC_CSR_CMD, CSR_BUSY | u32::from(index));
        self.csr_idle()
    }

    fn phy_read(&self, index: u32) -> Result<u32, InitError> {
        self.mac_write(mac::MII_ACC, MII_PHY_ADDRESS | (index << 6) | MII_BUSY)?;
        let idle = (0..BUSY_POLLS).any(|_| matches!(self.mac_read(mac::MII_ACC), Ok(v) if v & MII_BUSY == 0));
        if !idle {
            return Err(InitError::MacTimeout);
        }
        Ok(self.mac_read(mac::MII_DATA)? & 0xffff)
    }

    /// Reads and forgets `words` words of the RX data FIFO (a frame that is not passed on).
    fn skip_rx_words(&self, words: usize) {
        for _ in 0..words {
            self.regs.read(reg::RX_DATA_FIFO);
        }
    }

    /// Pops the next good frame into the RX buffer and returns its length, dropping bad or oversized ones.
    fn pop_frame(&mut self) -> Option<usize> {
        while rx_statuses(self.regs) > 0 {
            let status = self.regs.read(reg::RX_STATUS_FIFO);
            let length = ((status >> RX_STATUS_LENGTH_SHIFT) & RX_STATUS_LENGTH_MASK) as usize;
            let words = length.div_ceil(4);
            let frame = length.saturating_sub(4);
            if status & RX_STATUS_ERROR != 0 || frame < 14 || frame > self.rx.len() {
                self.skip_rx_words(words);
                continue;
            }
            for i in 0..words {
                let word = self.regs.read(reg::RX_DATA_FIFO).to_le_bytes();
                let start = i * 4;
                let end = (start + 4).min(frame);
                if let (Some(into), Some(from)) = (self.rx.get_mut(start..end), word.get(..end.saturating_sub(start))) {
                    into.copy_from_slice(from);
                }
            }
            return Some(frame);
        }
        None
    }
}

/// A received frame, lent to the stack.
pub struct Rx<'d> {
    frame: &'d mut [u8],
}

impl RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

/// Room for one frame in the TX FIFO.
pub struct Tx<'d> {
    regs: Window,
    buffer: &'d mut [u8; FRAME_BUFFER],
}

impl TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(FRAME_BUFFER);
        let frame = self.buffer.get_mut(..len).unwrap_or_default();
        let result = f(frame);
        let length = frame.len() as u32;
        // Command A: one segment holding the whole frame; command B: a tag (the length) and the frame length.
        self.regs.write(reg::TX_DATA_FIFO, TX_CMD_A_FIRST_LAST | length);
        self.regs.write(reg::TX_DATA_FIFO, (length << 16) | length);
        for chunk in frame.chunks(4) {
            let mut word = [0u8; 4];
            if let Some(into) = word.get_mut(..chunk.len()) {
                into.copy_from_slice(chunk);
            }
            self.regs.write(reg::TX_DATA_FIFO, u32::from_le_bytes(word));
        }
        // Nothing reads the send statuses; pop them so the FIFO never fills.
        while tx_statuses(self.regs) > 0 {
            self.regs.read(reg::TX_STATUS_FIFO);
        }
        result
    }
}

impl Driver for Lan9118 {
    type RxToken<'a>
        = Rx<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<'a>
    where
        Self: 'a;

    fn receive(&mut self, cx: &mut Context<'_>) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let frame = match self.pop_frame() {
            Some(frame) => frame,
            None => {
                wait(cx, false);
                // A frame that arrived between the check and the wait would otherwise wait for the next tick.
                self.pop_frame()?
            }
        };
        let regs = self.regs;
        let rx = Rx {
            frame: self.rx.get_mut(..frame).unwrap_or_default(),
        };
        Some((
            rx,
            Tx {
                regs,
                buffer: &mut self.tx,
            },
        ))
    }

    fn transmit(&mut self, cx: &mut Context<'_>) -> Option<Self::TxToken<'_>> {
        // Two command words plus the frame.
        if tx_free(self.regs) < FRAME_BUFFER + 8 {
            wait(cx, true);
            return None;
        }
        Some(Tx {
            regs: self.regs,
            buffer: &mut self.tx,
        })
    }

    fn link_state(&mut self, cx: &mut Context<'_>) -> LinkState {
        match self.phy_read(PHY_BSR) {
            Ok(status) if status & PHY_BSR_LINK != 0 => LinkState::Up,
            _ => {
                wait(cx, true);
                LinkState::Down
            }
        }
    }

    fn capabilities(&self) -> Capabilities {
        let mut capabilities = Capabilities::default();
        capabilities.max_transmission_unit = MTU;
        capabilities.max_burst_size = Some(1);
        capabilities
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet(self.mac)
    }
}
