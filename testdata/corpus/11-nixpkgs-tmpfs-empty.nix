{ config, pkgs, lib, ... }: { }
